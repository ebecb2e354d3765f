from django.urls import include, path

from core.routers import Router

from .api import OrderViewSet

router = Router()
router.register(r"orders", OrderViewSet, basename="order")

urlpatterns = [
    path("", include(router.urls)),
]
