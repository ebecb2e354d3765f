"""Role permission classes. Staff and superusers count as admins everywhere (SPEC §2)."""
from rest_framework.permissions import BasePermission


def is_admin(user) -> bool:
    return bool(
        user and user.is_authenticated and (user.is_staff or user.is_superuser or user.user_type == "admin")
    )


def has_role(user, role: str) -> bool:
    return bool(user and user.is_authenticated and user.user_type == role)


class _RolePermission(BasePermission):
    role = ""
    message = "This action is not available to your account type."

    def has_permission(self, request, view):
        return has_role(request.user, self.role)


class IsCustomer(_RolePermission):
    role = "customer"
    message = "Only customer accounts can do this."


class IsEntrepreneur(_RolePermission):
    role = "entrepreneur"
    message = "Only entrepreneur accounts can do this."


class IsSupplier(_RolePermission):
    role = "supplier"
    message = "Only supplier accounts can do this."


class IsEntrepreneurOrSupplier(BasePermission):
    """Who has a wallet and may withdraw (SPEC §6.8)."""

    message = "Only entrepreneur and supplier accounts can do this."

    def has_permission(self, request, view):
        return has_role(request.user, "entrepreneur") or has_role(request.user, "supplier")


class IsAdmin(BasePermission):
    message = "Only administrators can do this."

    def has_permission(self, request, view):
        return is_admin(request.user)
