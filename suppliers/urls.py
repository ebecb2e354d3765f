from django.urls import include, path

from core.routers import Router

from . import api

router = Router()
router.register("profiles", api.SupplierProfileViewSet, basename="supplier-profile")

urlpatterns = [
    # Before the router, so that "register" is not read as a profile id.
    path("profiles/register/", api.SupplierRegisterView.as_view(), name="supplier-register"),
    path("", include(router.urls)),
]
