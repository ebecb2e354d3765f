"""Public storefront routes, mounted at the root and last. ``custom_url`` is a slug, so these never match
``/favicon.ico`` and friends; reserved words (api, admin, …) are refused by the selector with a 404.

The storefront and product URLs answer HTML or JSON by the Accept header (``public.negotiation``)."""
from django.urls import path

from . import api, checkout_pages, pages
from .negotiation import negotiated

urlpatterns = [
    path("", pages.landing_page, name="public-landing"),
    path("<slug:custom_url>/", negotiated(api.PublicStorefrontView.as_view(), pages.storefront_page),
         name="public-storefront"),
    path("<slug:custom_url>/product/<slug:product_slug>/",
         negotiated(api.PublicProductView.as_view(), pages.product_page), name="public-product"),
    path("<slug:custom_url>/cart/", pages.cart_page, name="public-cart"),
    path("<slug:custom_url>/checkout/", checkout_pages.checkout_page, name="public-checkout"),
    path("<slug:custom_url>/orders/<str:token>/", checkout_pages.order_page, name="public-order"),
    path("<slug:custom_url>/share/", api.PublicShareLinksView.as_view(), name="public-share-links"),
    path("<slug:custom_url>/qr.svg", api.PublicQrCodeView.as_view(), name="public-qr-code"),
]
