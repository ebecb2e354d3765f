"""``?ordering=`` with a field a list cannot order by is a 400 on every list that takes ``ordering``."""
import django_filters
import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework import filters
from rest_framework.mixins import ListModelMixin

from core.filters import StrictOrderingFilter
from tests.factories import ProductFactory, SupplierFactory

pytestmark = pytest.mark.django_db


def _views(patterns=None):
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _views(pattern.url_patterns)
        elif isinstance(pattern, URLPattern) and getattr(pattern.callback, "cls", None) is not None:
            yield pattern.callback.cls


def test_no_view_orders_with_drfs_lenient_filter():
    """DRF's OrderingFilter drops unknown fields silently; every view uses the strict one (the default) or a
    django-filter ``OrderingFilter`` (which refuses unknown choices)."""
    lenient = {view.__name__ for view in _views()
               for backend in getattr(view, "filter_backends", ())
               if issubclass(backend, filters.OrderingFilter) and not issubclass(backend, StrictOrderingFilter)}
    assert lenient == set()


def _takes_ordering(view) -> bool:
    if not issubclass(view, ListModelMixin):  # filter backends only run on lists
        return False
    backends = getattr(view, "filter_backends", ())
    filterset = getattr(view, "filterset_class", None)
    return any(issubclass(b, filters.OrderingFilter) for b in backends) or bool(
        filterset and any(isinstance(f, django_filters.OrderingFilter) for f in filterset.base_filters.values()))


def test_the_lists_that_take_ordering_are_the_two_tested_below():
    assert {view.__name__ for view in _views() if _takes_ordering(view)} == {
        "CatalogProductViewSet", "SupplierProductViewSet"}


@pytest.mark.parametrize("url", ["/api/products/products/", "/api/suppliers/products/"])
def test_ordering_by_an_unknown_field_is_a_400(url, auth_client):
    supplier = SupplierFactory()
    ProductFactory(supplier=supplier)
    client = auth_client(supplier.user)
    for bad in ("no_such_field", "-password", "name,bogus", "supplier__user__password"):
        response = client.get(url, {"ordering": bad})
        assert response.status_code == 400, (url, bad, response.content)
        assert set(response.json()) == {"error", "code", "details"} and "ordering" in response.json()["details"]
    assert client.get(url, {"ordering": "-created_at"}).status_code == 200
    assert client.get(url, {"ordering": ""}).status_code == 200
