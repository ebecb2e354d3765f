"""Analytics API: anonymous event tracking and the entrepreneur / supplier dashboards."""
from drf_yasg import openapi
from drf_yasg.utils import swagger_auto_schema
from rest_framework import status
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken

from core.errors import NotFound
from core.permissions import IsEntrepreneur, IsSupplier
from entrepreneurs.models import EntrepreneurProfile
from suppliers.models import SupplierProfile
from suppliers.selectors import supplier_for_user

from .models import AnalyticsEvent
from .selectors import entrepreneur_metrics, supplier_metrics
from .serializers import (
    DaysQuerySerializer,
    EntrepreneurMetricsSerializer,
    SupplierDashboardSerializer,
    SupplierMetricsSerializer,
    TrackClickSerializer,
    TrackEventSerializer,
    TrackResponseSerializer,
)
from .services import event_record
from .supplier_dashboard import supplier_dashboard
from .throttling import TrackingRateThrottle

_ERRORS = {400: "Invalid input", 429: "Too many requests (Retry-After header)"}
_DAYS_PARAM = openapi.Parameter("days", openapi.IN_QUERY, type=openapi.TYPE_INTEGER, default=30,
                                description="Window length in Africa/Lagos days, today included (1–365).")


class OptionalJWTAuthentication(JWTAuthentication):
    """Attribute the event to the user when the token is good; a stale token must not lose the event (no 401)."""

    def authenticate(self, request):
        try:
            return super().authenticate(request)
        except (InvalidToken, AuthenticationFailed):
            return None


class _TrackingView(APIView):
    authentication_classes = [OptionalJWTAuthentication]
    permission_classes = [AllowAny]
    throttle_classes = [TrackingRateThrottle]
    throttle_scope = "tracking"


class TrackEventView(_TrackingView):
    """Record one analytics event from a storefront page (no authentication needed)."""

    @swagger_auto_schema(request_body=TrackEventSerializer, responses={200: TrackResponseSerializer, **_ERRORS})
    def post(self, request):
        serializer = TrackEventSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        event_record(event_type=data["event_type"], request=request, entrepreneur=data["entrepreneur"],
                     product=data["product"], metadata=data["metadata"])
        return Response({"status": "success"}, status=status.HTTP_200_OK)


class TrackClickView(_TrackingView):
    """Record a click on a share link (``link_click`` with its channel and URL)."""

    @swagger_auto_schema(request_body=TrackClickSerializer, responses={200: TrackResponseSerializer, **_ERRORS})
    def post(self, request):
        serializer = TrackClickSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        event_record(event_type=AnalyticsEvent.EventType.LINK_CLICK, request=request, entrepreneur=data["entrepreneur"],
                     product=data["product"], metadata=data["metadata"])
        return Response({"status": "success"}, status=status.HTTP_200_OK)


def _days(request) -> int:
    query = DaysQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data["days"]


class EntrepreneurAnalyticsView(APIView):
    """The signed-in entrepreneur's analytics for the last ``days`` days."""

    permission_classes = [IsAuthenticated, IsEntrepreneur]

    @swagger_auto_schema(manual_parameters=[_DAYS_PARAM], responses={200: EntrepreneurMetricsSerializer, 400: "Bad days"})
    def get(self, request):
        days = _days(request)
        try:
            entrepreneur = EntrepreneurProfile.objects.get(user=request.user)
        except EntrepreneurProfile.DoesNotExist:
            raise NotFound("Entrepreneur profile not found.") from None
        return Response(EntrepreneurMetricsSerializer(entrepreneur_metrics(entrepreneur=entrepreneur, days=days)).data)


class SupplierAnalyticsView(APIView):
    """The signed-in supplier's analytics for the last ``days`` days."""

    permission_classes = [IsAuthenticated, IsSupplier]

    @swagger_auto_schema(manual_parameters=[_DAYS_PARAM], responses={200: SupplierMetricsSerializer, 400: "Bad days"})
    def get(self, request):
        days = _days(request)
        try:
            supplier = SupplierProfile.objects.get(user=request.user)
        except SupplierProfile.DoesNotExist:
            raise NotFound("Supplier profile not found.") from None
        return Response(SupplierMetricsSerializer(supplier_metrics(supplier=supplier, days=days)).data)


class SupplierDashboardView(APIView):
    """Totals, revenue (paid orders), order counts by status, recent orders, top products.

    Served at `/api/suppliers/profiles/dashboard/` (SPEC §4) by the project's URLconf.
    """

    permission_classes = [IsSupplier]

    @swagger_auto_schema(responses={200: SupplierDashboardSerializer()})
    def get(self, request):
        supplier = supplier_for_user(request.user)
        return Response(SupplierDashboardSerializer(supplier_dashboard(supplier=supplier)).data)
