"""Who may manage products: a supplier account whose profile may sell (``SupplierProfile.can_sell``)."""
from rest_framework.permissions import BasePermission

from core.permissions import has_role


class IsVerifiedSupplier(BasePermission):
    message = "Only verified supplier accounts can do this."

    def has_permission(self, request, view):
        user = request.user
        if not has_role(user, "supplier"):
            return False
        profile = getattr(user, "supplier_profile", None)
        return bool(profile and profile.can_sell)
