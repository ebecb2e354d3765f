from django.urls import include, path

from core.routers import Router

from . import api, views

app_name = "payments"

router = Router()
router.register("payment-methods", api.PaymentMethodViewSet, basename="payment-method")
router.register("earnings", api.EarningsViewSet, basename="earnings")
router.register("withdrawals", api.WithdrawalViewSet, basename="withdrawal")

urlpatterns = [
    path("initialize/", api.InitializePaymentView.as_view(), name="payment-initialize"),
    path("verify/<str:reference>/", api.VerifyPaymentView.as_view(), name="payment-verify"),
    path("webhooks/paystack/", api.PaystackWebhookView.as_view(), name="webhook-paystack"),
    path("webhooks/flutterwave/", api.FlutterwaveWebhookView.as_view(), name="webhook-flutterwave"),
    path("wallet/", api.WalletView.as_view(), name="wallet"),
    path("sandbox/checkout/<str:reference>/", views.sandbox_checkout, name="sandbox-checkout"),
    path("", include(router.urls)),
]
