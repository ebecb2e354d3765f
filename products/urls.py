from django.urls import include, path

from core.routers import Router

from . import api

router = Router()
router.register("products", api.CatalogProductViewSet, basename="catalog-product")
router.register("categories", api.CategoryViewSet, basename="category")

urlpatterns = [
    path("products/<int:product_id>/images/", api.ProductImagesView.as_view(), name="product-images"),
    path("products/<int:product_id>/images/bulk/", api.ProductImagesBulkView.as_view(), name="product-images-bulk"),
    path("products/<int:product_id>/images/<int:image_id>/", api.ProductImageDetailView.as_view(),
         name="product-image-detail"),
    path("", include(router.urls)),
]
