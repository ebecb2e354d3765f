from django.urls import include, path

from core.routers import Router

from .api import CheckoutViewSet, OrderViewSet

router = Router()
router.register(r"orders", OrderViewSet, basename="order")
router.register(r"checkouts", CheckoutViewSet, basename="checkout")

urlpatterns = [
    path("", include(router.urls)),
]
