from django.urls import include, path
from rest_framework.routers import DefaultRouter

from .api import CheckoutViewSet, OrderViewSet

router = DefaultRouter()
router.include_root_view = False
router.register(r"orders", OrderViewSet, basename="order")
router.register(r"checkouts", CheckoutViewSet, basename="checkout")

urlpatterns = [
    path("", include(router.urls)),
]
