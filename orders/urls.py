from django.urls import include, path

from core.routers import Router

from .api import CheckoutViewSet, CodSendCodeView, OrderViewSet

router = Router()
router.register(r"orders", OrderViewSet, basename="order")
router.register(r"checkouts", CheckoutViewSet, basename="checkout")

urlpatterns = [
    path("cod/send-code/", CodSendCodeView.as_view(), name="cod-send-code"),
    path("", include(router.urls)),
]
