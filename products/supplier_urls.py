"""A supplier's product routes, mounted at ``/api/suppliers/`` before the suppliers app's own URLs."""
from django.urls import include, path
from rest_framework.routers import DefaultRouter

from . import supplier_api

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("products", supplier_api.SupplierProductViewSet, basename="supplier-product")

urlpatterns = [
    path("profiles/my_products/", supplier_api.MyProductsView.as_view(), name="supplier-my-products"),
    path("", include(router.urls)),
]
