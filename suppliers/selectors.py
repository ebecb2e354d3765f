"""Reads about suppliers, each with its queries planned."""
from django.db.models import QuerySet

from core.errors import NotFound
from core.permissions import has_role, is_admin

from .models import SupplierProfile


def suppliers_for_user(user) -> QuerySet[SupplierProfile]:
    """Admins see every supplier, a supplier only its own profile, anyone else nothing."""
    queryset = SupplierProfile.objects.select_related("user").order_by("-created_at", "-id")
    if is_admin(user):
        return queryset
    if has_role(user, "supplier"):
        return queryset.filter(user=user)
    return queryset.none()


def supplier_for_user(user) -> SupplierProfile:
    """The requesting supplier's own profile (404 when the account has none)."""
    try:
        return SupplierProfile.objects.select_related("user").get(user=user)
    except SupplierProfile.DoesNotExist as exc:
        raise NotFound("Supplier profile not found.") from exc
