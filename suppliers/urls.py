from django.urls import include, path
from rest_framework.routers import DefaultRouter

from . import api

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("profiles", api.SupplierProfileViewSet, basename="supplier-profile")

urlpatterns = [
    # Before the router, so that "register" is not read as a profile id.
    path("profiles/register/", api.SupplierRegisterView.as_view(), name="supplier-register"),
    path("", include(router.urls)),
]
