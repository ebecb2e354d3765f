"""Root URLconf. The public storefront catch-all is mounted last."""
from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.decorators.cache import cache_control
from django.views.static import serve
from drf_yasg import openapi
from drf_yasg.views import get_schema_view
from rest_framework import permissions

from analytics.api import SupplierDashboardView
from core.views import health
from orders.api import OrderViewSet

schema_view = get_schema_view(
    openapi.Info(
        title="Payjaro API",
        default_version="v1",
        description="Social commerce for Nigeria: suppliers, entrepreneurs' storefronts, orders, payments.",
    ),
    public=True,
    permission_classes=[permissions.AllowAny],
)

urlpatterns = [
    path("admin/", admin.site.urls),
    path("health/", health, name="health"),
    path("api/docs/", schema_view.with_ui("swagger", cache_timeout=0), name="api-docs"),
    re_path(r"^api/schema(?P<format>\.json)$", schema_view.without_ui(cache_timeout=0), name="api-schema"),
    path("api/users/", include("users.urls")),
    path("api/entrepreneurs/", include("entrepreneurs.urls")),
    # A supplier's products, orders and dashboard live in the apps that own that data (SPEC §4 paths);
    # the suppliers app below them knows only profiles. Matched before suppliers.urls.
    path("api/suppliers/profiles/my_orders/", OrderViewSet.as_view({"get": "supplier_orders"}),
         name="supplier-my-orders"),
    path("api/suppliers/profiles/dashboard/", SupplierDashboardView.as_view(), name="supplier-dashboard"),
    path("api/suppliers/", include("products.supplier_urls")),
    path("api/suppliers/", include("suppliers.urls")),
    path("api/products/", include("products.urls")),
    path("api/social/", include("social.urls")),
    path("api/orders/", include("orders.urls")),
    path("api/payments/", include("payments.urls")),
    path("api/analytics/", include("analytics.urls")),
]

if not settings.AWS_STORAGE_BUCKET_NAME:
    # Local media (the embedded default). Behind nginx in production, /media/ never reaches Django.
    # Stored names are unique (or content-hashed), so a browser may keep them for a week, as nginx says.
    urlpatterns += [re_path(r"^media/(?P<path>.*)$", cache_control(public=True, max_age=7 * 24 * 3600)(serve),
                            {"document_root": settings.MEDIA_ROOT})]

# Public storefronts: /<custom_url>/… — must stay last.
urlpatterns += [path("", include("public.urls"))]

# HTML for people, the SPEC's JSON error shape for /api/ and for JSON clients (public.errors).
handler404 = "public.errors.page_not_found"
handler500 = "public.errors.server_error"
