"""Payout destinations (SPEC §6.7). At most one active default per user (a partial unique constraint)."""
from django.db import transaction
from django.utils import timezone

from ..models import PaymentMethod


def _unset_other_defaults(*, user, keep_pk: int | None) -> None:
    # Lock the user's methods (by pk) so two concurrent "make this the default" requests serialise.
    list(PaymentMethod.objects.select_for_update().filter(user=user).order_by("pk").values_list("pk", flat=True))
    PaymentMethod.objects.filter(user=user, is_default=True).exclude(pk=keep_pk).update(
        is_default=False, updated_at=timezone.now())


def payment_method_create(*, user, method_type: str, details: dict, provider: str = "",
                          is_default: bool = False) -> PaymentMethod:
    with transaction.atomic():
        if is_default:
            _unset_other_defaults(user=user, keep_pk=None)
        return PaymentMethod.objects.create(user=user, method_type=method_type, details=details, provider=provider,
                                            is_default=is_default)


def payment_method_update(*, method: PaymentMethod, **changes) -> PaymentMethod:
    with transaction.atomic():
        if changes.get("is_default"):
            _unset_other_defaults(user=method.user, keep_pk=method.pk)
        for name, value in changes.items():
            setattr(method, name, value)
        method.save(update_fields=[*changes.keys(), "updated_at"])
    return method


def payment_method_deactivate(*, method: PaymentMethod) -> None:
    """Soft delete: withdrawals keep pointing at the method they were paid to."""
    method.is_active = False
    method.is_default = False
    method.save(update_fields=["is_active", "is_default", "updated_at"])
