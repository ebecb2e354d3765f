"""The project's 404 and 500 answers: a friendly page for people, the SPEC's JSON error shape for API clients."""
import json

import pytest
from django.test import RequestFactory
from django.urls import get_resolver

from public.errors import page_not_found, server_error

from .test_pages import BROWSER_ACCEPT

pytestmark = pytest.mark.django_db


def test_handlers_are_the_public_ones():
    resolver = get_resolver()
    assert resolver.resolve_error_handler(404) is page_not_found
    assert resolver.resolve_error_handler(500) is server_error


@pytest.mark.parametrize("path", ["/no/such/page/", "/admin-nope/x/y/", "/favicon-that-is-missing.png"])
def test_unknown_page_for_a_browser_is_a_friendly_html_404(client, path):
    response = client.get(path, HTTP_ACCEPT=BROWSER_ACCEPT)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "Sorry, this page is not here" in page and 'href="/"' in page
    assert '<meta name="robots" content="noindex">' in page


@pytest.mark.parametrize("path, headers", [
    ("/api/no/such/endpoint/", {"HTTP_ACCEPT": BROWSER_ACCEPT}),  # /api/ is always JSON
    ("/api/users/nope/", {}),
    ("/no/such/page/", {"HTTP_ACCEPT": "application/json"}),
    ("/no/such/page/?format=json", {"HTTP_ACCEPT": BROWSER_ACCEPT}),
    ("/not%20a%20slug/share/", {}),  # the storefront's JSON endpoints, even when no route matched
    ("/not%20a%20slug/qr.svg", {"HTTP_ACCEPT": BROWSER_ACCEPT}),
])
def test_api_clients_get_the_json_error_shape(client, path, headers):
    response = client.get(path, **headers)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"error": "Not found.", "code": "not_found"}


def test_unknown_store_is_the_friendly_page_too(client):
    response = client.get("/no-such-store/", HTTP_ACCEPT=BROWSER_ACCEPT)
    assert response.status_code == 404 and "Sorry, this page is not here" in response.content.decode()


@pytest.mark.parametrize("path, accept, json_body", [
    ("/ada/checkout/", BROWSER_ACCEPT, False),
    ("/api/orders/orders/", BROWSER_ACCEPT, True),
    ("/ada/", "application/json", True),
])
def test_server_error_page(path, accept, json_body):
    response = server_error(RequestFactory().get(path, HTTP_ACCEPT=accept))
    assert response.status_code == 500
    if json_body:
        assert response["Content-Type"] == "application/json"
        assert json.loads(response.content) == {"error": "Internal server error.", "code": "server_error"}
    else:
        assert response["Content-Type"].startswith("text/html")
        assert "Sorry, something went wrong" in response.content.decode()
        assert response["Cache-Control"] == "no-store"


def test_an_unhandled_error_on_a_page_answers_the_html_500(client, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("public.pages._storefront_html", explode)
    from tests.factories import StorefrontFactory

    store = StorefrontFactory()
    client.raise_request_exception = False
    response = client.get(f"/{store.entrepreneur.custom_url}/", HTTP_ACCEPT=BROWSER_ACCEPT)
    assert response.status_code == 500 and "Sorry, something went wrong" in response.content.decode()
