"""A supplier's product routes, mounted at ``/api/suppliers/`` before the suppliers app's own URLs."""
from django.urls import include, path

from core.routers import Router

from . import supplier_api

router = Router()
router.register("products", supplier_api.SupplierProductViewSet, basename="supplier-product")

urlpatterns = [
    path("profiles/my_products/", supplier_api.MyProductsView.as_view(), name="supplier-my-products"),
    path("", include(router.urls)),
]
