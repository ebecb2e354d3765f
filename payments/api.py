"""Thin views: validate → one service → serialize."""
from drf_yasg import openapi
from drf_yasg.utils import swagger_auto_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import NotFound
from core.permissions import IsAdmin, IsEntrepreneur, IsEntrepreneurOrSupplier, is_admin
from core.throttling import ScopedRateThrottle

from . import selectors, services, webhooks
from .models import Earnings, PaymentMethod, Provider, WithdrawalRequest
from .serializers import (
    EarningsSerializer,
    EarningsSummarySerializer,
    InitializePaymentResponseSerializer,
    InitializePaymentSerializer,
    PaymentMethodSerializer,
    TransactionSerializer,
    WalletSerializer,
    WebhookAckSerializer,
    WithdrawalCreateSerializer,
    WithdrawalDecisionSerializer,
    WithdrawalSerializer,
)


class InitializePaymentView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @swagger_auto_schema(request_body=InitializePaymentSerializer, responses={200: InitializePaymentResponseSerializer})
    def post(self, request):
        serializer = InitializePaymentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        txn, payment_url = services.payment_initialize(user=request.user, order_ref=data.get("order_id"),
                                                       checkout_ref=data.get("checkout_id"),
                                                       provider=data["provider"],
                                                       callback_url=data.get("callback_url") or "")
        return Response({"payment_url": payment_url, "reference": txn.transaction_id,
                         "transaction_id": txn.transaction_id, "provider": txn.provider,
                         "amount": str(txn.amount), "currency": txn.currency})


class VerifyPaymentView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @swagger_auto_schema(responses={200: TransactionSerializer})
    def get(self, request, reference: str):
        txn = services.payment_verify_for_user(user=request.user, reference=reference)
        txn = type(txn).objects.select_related("order", "checkout").get(pk=txn.pk)
        return Response(TransactionSerializer(txn).data)


class _WebhookView(APIView):
    """Gateways authenticate with a signature over the raw body, not with JWT."""

    provider = ""
    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "webhooks"

    @swagger_auto_schema(request_body=openapi.Schema(type=openapi.TYPE_OBJECT), responses={200: WebhookAckSerializer},
                         security=[])
    def post(self, request):
        result = webhooks.webhook_process(provider=self.provider, raw_body=request.body, headers=request.headers)
        return Response({"status": "ok", "result": result})


class PaystackWebhookView(_WebhookView):
    provider = Provider.PAYSTACK


class FlutterwaveWebhookView(_WebhookView):
    provider = Provider.FLUTTERWAVE


class PaymentMethodViewSet(viewsets.ModelViewSet):
    serializer_class = PaymentMethodSerializer
    permission_classes = [permissions.IsAuthenticated]
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return PaymentMethod.objects.none()
        return selectors.payment_methods_for_user(self.request.user)

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.payment_method_create(
            user=self.request.user, method_type=data["method_type"], details=data["details"],
            provider=data.get("provider", ""), is_default=data.get("is_default", False))

    def perform_update(self, serializer):
        serializer.instance = services.payment_method_update(method=serializer.instance, **serializer.validated_data)

    def perform_destroy(self, instance):
        services.payment_method_deactivate(method=instance)


class WalletView(APIView):
    """The caller's wallet: an entrepreneur's earnings or a supplier's share of its orders (SPEC §6.8)."""

    permission_classes = [IsEntrepreneurOrSupplier]

    @swagger_auto_schema(responses={200: WalletSerializer})
    def get(self, request):
        return Response(WalletSerializer(selectors.wallet_for_user(request.user)).data)


class EarningsViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = EarningsSerializer
    permission_classes = [IsEntrepreneur]
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Earnings.objects.none()
        return selectors.earnings_for_user(self.request.user)

    @swagger_auto_schema(responses={200: EarningsSummarySerializer})
    @action(detail=False, methods=["get"])
    def summary(self, request):
        return Response(EarningsSummarySerializer(selectors.earnings_summary(request.user)).data)


class WithdrawalViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                        viewsets.GenericViewSet):
    serializer_class = WithdrawalSerializer
    filter_backends: list = []

    def get_permissions(self):
        if self.action in ("approve", "reject"):
            return [IsAdmin()]
        if self.action == "create":
            return [IsEntrepreneurOrSupplier()]
        return [permissions.IsAuthenticated()]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return WithdrawalRequest.objects.none()
        return selectors.withdrawals_for_user(self.request.user)

    @swagger_auto_schema(request_body=WithdrawalCreateSerializer, responses={201: WithdrawalSerializer})
    def create(self, request, *args, **kwargs):
        serializer = WithdrawalCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        withdrawal = services.withdrawal_create(user=request.user, amount=serializer.validated_data["amount"],
                                                payment_method_id=serializer.validated_data["payment_method"])
        return Response(WithdrawalSerializer(withdrawal).data, status=status.HTTP_201_CREATED)

    def _decide(self, request, pk, service):
        if not is_admin(request.user):
            raise NotFound()
        serializer = WithdrawalDecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        withdrawal = service(withdrawal_id=pk, admin=request.user, notes=serializer.validated_data.get("notes", ""))
        withdrawal.refresh_from_db()
        return Response(WithdrawalSerializer(withdrawal).data)

    @swagger_auto_schema(request_body=WithdrawalDecisionSerializer, responses={
        200: WithdrawalSerializer,
        409: "Not pending, or the owner's wallet is negative (code balance_negative: a share was taken back after the "
             "request; reject it and the funds return)"})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._decide(request, pk, services.withdrawal_approve)

    @swagger_auto_schema(request_body=WithdrawalDecisionSerializer, responses={200: WithdrawalSerializer})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._decide(request, pk, services.withdrawal_reject)
