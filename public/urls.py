"""Public storefront routes, mounted at the root and last. ``custom_url`` is a slug, so these never match
``/favicon.ico`` and friends; reserved words (api, admin, …) are refused by the selector with a 404."""
from django.urls import path

from . import api

urlpatterns = [
    path("<slug:custom_url>/", api.PublicStorefrontView.as_view(), name="public-storefront"),
    path("<slug:custom_url>/product/<slug:product_slug>/", api.PublicProductView.as_view(), name="public-product"),
    path("<slug:custom_url>/share/", api.PublicShareLinksView.as_view(), name="public-share-links"),
    path("<slug:custom_url>/qr.svg", api.public_qr_code, name="public-qr-code"),
]
