"""The project's 404 and 500 handlers (``handler404``/``handler500`` in the root URLconf).

A person who mistypes a link gets a friendly page; an API client gets the SPEC's error shape
(``{"error": …}``). JSON for every ``/api/`` path and for a client that prefers it (``Accept:
application/json`` or ``?format=json``, as on the storefront URLs); HTML for everything else.
"""
from django.http import HttpResponse
from django.template.loader import render_to_string

from core.views import not_found as json_not_found
from core.views import server_error as json_server_error

from .negotiation import wants_json
from .pages import not_found_page

# The storefront's machine endpoints (share links JSON, QR code): their 404 is the JSON error shape too, also
# when the store part of the path is not even a valid slug (so no route matched and this handler answers).
_MACHINE_SUFFIXES = ("/share/", "/qr.svg")


def _api_client(request) -> bool:
    return request.path.startswith("/api/") or request.path.endswith(_MACHINE_SUFFIXES) or wants_json(request)


def page_not_found(request, exception=None):
    if _api_client(request):
        return json_not_found(request, exception)
    return not_found_page(request, "We could not find that page.")


def server_error(request):
    if _api_client(request):
        return json_server_error(request)
    # Rendered without the request (no context processors, no session, no database): whatever broke
    # the page must not break its error page too.
    response = HttpResponse(render_to_string("public/500.html", {"site_name": "Payjaro"}), status=500,
                            content_type="text/html; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response
