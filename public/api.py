"""Shopper-facing storefront pages at the root: ``/<custom_url>/…``. No authentication."""
import io
from urllib.parse import urlencode

import segno
from django.http import HttpResponse, JsonResponse
from drf_yasg import openapi
from drf_yasg.utils import swagger_auto_schema
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView

from analytics.buffer import view_event_record
from core.errors import NotFound, ValidationFailed
from core.exceptions import error_body
from core.links import product_url, storefront_url
from core.pagination import StandardPagination
from core.throttling import AnonRateThrottle
from core.validators import parse_id
from social.channels import ShareChannel
from social.links import share_links, with_source
from social.selectors import (
    public_featured_store_products,
    public_store_product_by_product_id,
    public_store_product_get,
    public_store_products,
    public_storefront_get,
)
from social.serializers import PublicProductCardSerializer

from .caching import StorePage, page_key, serve_store_page
from .negotiation import is_preview_bot
from .serializers import ProductPageSerializer, ShareLinksResponseSerializer, StorefrontPageSerializer


def _source(request) -> str:
    """The share channel the visitor came from (``?src=``), if it is one we know."""
    src = (request.query_params.get("src") or "").strip().lower()
    return src if src in ShareChannel.values else ""


def _visit_metadata(request, **extra) -> dict:
    metadata = {key: value for key, value in extra.items() if value not in (None, "")}
    source = _source(request)
    if source:
        metadata["src"] = source
    referrer = request.META.get("HTTP_REFERER", "")[:300]
    if referrer:
        metadata["referrer"] = referrer
    return metadata


def _record(request, **kwargs) -> None:
    """One view event per page view (buffered: ``analytics.buffer``); HEAD probes and link-preview bots are
    not views (SPEC §9)."""
    if request.method == "GET" and not is_preview_bot(request):
        view_event_record(request=request, **kwargs)


def _event_targets(page: StorePage) -> dict:
    """The event's foreign keys from a (possibly cached) page, without loading the rows."""
    return {"entrepreneur_id": page.entrepreneur_id, "product_id": page.product_id}


# The storefront and product URLs answer HTML to browsers and JSON to API clients (public.negotiation):
# the schema documents the JSON; ``Accept: application/json`` or ``?format=json`` asks for it.
NEGOTIATED_TYPES = ["application/json", "text/html"]
FORMAT_PARAMETER = openapi.Parameter("format", openapi.IN_QUERY, type=openapi.TYPE_STRING, enum=["json", "html"],
                                     description="json = this JSON; otherwise chosen by the Accept header")
SRC_PARAMETER = openapi.Parameter("src", openapi.IN_QUERY, type=openapi.TYPE_STRING, enum=list(ShareChannel.values),
                                  description="the share channel the visitor came from")


class StorefrontPagination(StandardPagination):
    """Links carry only what the page is cached by (page, page_size, a known src), never e.g. ``fbclid``."""

    def canonical_params(self, request) -> list[tuple[str, str]]:
        params = []
        if request.query_params.get(self.page_size_query_param) not in (None, ""):
            params.append((self.page_size_query_param, str(self.get_page_size(request))))
        if _source(request):
            params.append(("src", _source(request)))
        return params

    def _url(self) -> str:
        url = self.request.build_absolute_uri(self.request.path)
        params = self.canonical_params(self.request)
        return f"{url}?{urlencode(params)}" if params else url

    def get_next_link(self):
        if not self.page.has_next():
            return None
        return replace_query_param(self._url(), self.page_query_param, self.page.next_page_number())

    def get_previous_link(self):
        if not self.page.has_previous():
            return None
        number = self.page.previous_page_number()
        if number == 1:
            return remove_query_param(self._url(), self.page_query_param)
        return replace_query_param(self._url(), self.page_query_param, number)


class PublicView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []  # a stale token in the browser must never break a public page
    # Every visitor is anonymous here, so the default UserRateThrottle would only count the same address a
    # second time (two more cache round trips per page view): the anonymous rate alone applies.
    throttle_classes = [AnonRateThrottle]
    renderer_classes = [JSONRenderer]
    swagger_tags = ["public"]


class CachedPublicView(PublicView):
    """A page served through ``serve_store_page``: the throttle is checked where the page costs work, before it is
    built (a cache miss, an unknown store), not on a cache hit, which is one Redis read, as it is for the HTML
    representation of the same URL (never throttled). Over the limit, a miss is the usual 429."""

    def check_throttles(self, request):
        pass  # checked by ``throttle_before_building``, passed to serve_store_page as ``on_miss``

    def throttle_before_building(self) -> None:
        super().check_throttles(self.request)


class PublicStorefrontView(CachedPublicView):
    """A published storefront: the entrepreneur, featured products, every product (paginated), SEO."""

    @swagger_auto_schema(
        security=[], produces=NEGOTIATED_TYPES,
        manual_parameters=[
            FORMAT_PARAMETER,
            openapi.Parameter("page", openapi.IN_QUERY, type=openapi.TYPE_INTEGER),
            openapi.Parameter("page_size", openapi.IN_QUERY, type=openapi.TYPE_INTEGER),
            SRC_PARAMETER,
        ],
        responses={200: StorefrontPageSerializer},
    )
    def get(self, request, custom_url: str):
        paginator = StorefrontPagination()
        page_number = request.query_params.get(paginator.page_query_param) or "1"
        key = page_key(request, "storefront", custom_url, page_number, paginator.canonical_params(request))
        return serve_store_page(
            request, key=key, custom_url=custom_url, on_miss=self.throttle_before_building,
            build=lambda storefront: (self._data(request, storefront, paginator), None),
            record=lambda page: _record(request, event_type="storefront_view", **_event_targets(page),
                                        metadata=_visit_metadata(request, custom_url=page.custom_url)),
        )

    def _data(self, request, storefront, paginator) -> dict:
        context = {"custom_url": storefront.entrepreneur.custom_url}
        page = paginator.paginate_queryset(public_store_products(storefront=storefront), request, view=self)
        all_products = paginator.get_paginated_response(
            PublicProductCardSerializer(page, many=True, context=context).data
        ).data
        return StorefrontPageSerializer(storefront, context={
            "featured": public_featured_store_products(storefront=storefront), "all_products": all_products,
        }).data


class PublicProductView(CachedPublicView):
    """One product of this store, at the entrepreneur's price, with purchase and share data."""

    @swagger_auto_schema(security=[], produces=NEGOTIATED_TYPES, manual_parameters=[FORMAT_PARAMETER, SRC_PARAMETER],
                         responses={200: ProductPageSerializer})
    def get(self, request, custom_url: str, product_slug: str):
        key = page_key(request, "product", custom_url, product_slug, _source(request))
        return serve_store_page(
            request, key=key, custom_url=custom_url, on_miss=self.throttle_before_building,
            build=lambda storefront: self._data(request, storefront, product_slug),
            record=lambda page: _record(request, event_type="product_view", **_event_targets(page),
                                        metadata=_visit_metadata(request, custom_url=page.custom_url)),
        )

    def _data(self, request, storefront, product_slug: str) -> tuple[dict, int]:
        store_product = public_store_product_get(storefront=storefront, product_slug=product_slug)
        context = {"entrepreneur": storefront.entrepreneur, "source": _source(request)}
        return ProductPageSerializer(store_product, context=context).data, store_product.product_id


class PublicShareLinksView(CachedPublicView):
    """Share links for the store, or for one of its products with ``?product_id=``."""

    @swagger_auto_schema(
        security=[],
        manual_parameters=[openapi.Parameter("product_id", openapi.IN_QUERY, type=openapi.TYPE_INTEGER)],
        responses={200: ShareLinksResponseSerializer},
    )
    def get(self, request, custom_url: str):
        raw_product_id = request.query_params.get("product_id")
        key = page_key(request, "share", custom_url, raw_product_id or "")
        return serve_store_page(
            request, key=key, custom_url=custom_url, on_miss=self.throttle_before_building,
            build=lambda storefront: self._data(storefront, raw_product_id),
            # Reading the links is not sharing (SPEC §9): a share is recorded by the client that shares,
            # through the tracking endpoint (POST /api/analytics/track/, event_type=product_share).
            record=lambda page: None,
        )

    def _data(self, storefront, raw_product_id) -> tuple[dict, int | None]:
        entrepreneur = storefront.entrepreneur
        handle = str((storefront.social_links or {}).get("instagram", ""))[:100]
        product = None
        if raw_product_id not in (None, ""):
            product_id = parse_id(raw_product_id)  # ASCII digits within a database key (SQLite: 64 bits)
            if product_id is None:
                raise ValidationFailed("product_id: A valid integer is required.",
                                       details={"product_id": ["A valid integer is required."]})
            product = public_store_product_by_product_id(storefront=storefront, product_id=product_id).product
            links = share_links(
                target_url=product_url(entrepreneur.custom_url, product.slug),
                text=f"Check out {product.name} from {entrepreneur.business_name}! 🛍️",
                custom_url=entrepreneur.custom_url, product_slug=product.slug, instagram_handle=handle,
            )
        else:
            links = share_links(
                target_url=storefront_url(entrepreneur.custom_url),
                text=f"Shop from {entrepreneur.business_name} on Payjaro! 🛍️",
                custom_url=entrepreneur.custom_url, instagram_handle=handle,
            )
        return links, product.id if product else None


class FirstRendererNegotiation(DefaultContentNegotiation):
    """The QR code is an SVG whatever the client accepts (an ``<img>`` asks for ``image/*``); errors are JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class PublicQrCodeView(PublicView):
    """An SVG QR code of the store (or ``?product=<slug>``) URL tagged ``src=qr``, made locally with segno."""

    content_negotiation_class = FirstRendererNegotiation

    @swagger_auto_schema(
        security=[], produces=["image/svg+xml", "application/json"],
        manual_parameters=[openapi.Parameter("product", openapi.IN_QUERY, type=openapi.TYPE_STRING,
                                             description="a product slug of this store")],
        responses={200: openapi.Response("The QR code (SVG image)", openapi.Schema(type=openapi.TYPE_FILE))},
    )
    def get(self, request, custom_url: str):
        return public_qr_code(request, custom_url)


def public_qr_code(request, custom_url: str):
    try:
        storefront = public_storefront_get(custom_url=custom_url)
        product_slug = (request.GET.get("product") or "").strip()
        custom = storefront.entrepreneur.custom_url
        if product_slug:
            store_product = public_store_product_get(storefront=storefront, product_slug=product_slug)
            target = product_url(custom, store_product.product.slug)
        else:
            target = storefront_url(custom)
    except NotFound as exc:
        return JsonResponse(error_body(exc.message, exc.code), status=404)
    buffer = io.BytesIO()
    segno.make(with_source(target, ShareChannel.QR), error="m").save(
        buffer, kind="svg", scale=8, border=2, xmldecl=True, title=f"QR code for {target}",
    )
    response = HttpResponse(buffer.getvalue(), content_type="image/svg+xml")
    response["Cache-Control"] = "public, max-age=3600"
    response["Content-Disposition"] = f'inline; filename="{custom}-qr.svg"'
    return response

