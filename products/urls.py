from django.urls import include, path
from rest_framework.routers import DefaultRouter

from . import api

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("products", api.CatalogProductViewSet, basename="catalog-product")
router.register("categories", api.CategoryViewSet, basename="category")

urlpatterns = [
    path("products/<int:product_id>/images/", api.ProductImagesView.as_view(), name="product-images"),
    path("products/<int:product_id>/images/bulk/", api.ProductImagesBulkView.as_view(), name="product-images-bulk"),
    path("products/<int:product_id>/images/<int:image_id>/", api.ProductImageDetailView.as_view(),
         name="product-image-detail"),
    path("", include(router.urls)),
]
