from django.urls import include, path
from rest_framework.routers import DefaultRouter

from .api import OrderViewSet

router = DefaultRouter()
router.include_root_view = False
router.register(r"orders", OrderViewSet, basename="order")

urlpatterns = [
    path("", include(router.urls)),
]
