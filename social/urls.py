from django.urls import path

from . import api

urlpatterns = [
    path("storefront/", api.StorefrontView.as_view(), name="storefront"),
    path("store-products/", api.StoreProductListView.as_view(), name="store-product-list"),
    path("store-products/<int:pk>/", api.StoreProductDetailView.as_view(), name="store-product-detail"),
]
