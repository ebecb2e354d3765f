"""Every write about suppliers: registration, profile updates, verification decisions."""
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.errors import NotFound, ValidationFailed
from core.notifications import notify
from core.permissions import is_admin
from users.models import User
from users.services import user_create

from .models import SupplierProfile, SupplierVerificationLog

_DUPLICATE_REGISTRATION = ValidationFailed(
    "business_registration: A supplier with this business registration already exists.",
    details={"business_registration": ["A supplier with this business registration already exists."]},
)


@transaction.atomic
def supplier_register(*, user_data: dict[str, Any], profile_data: dict[str, Any]) -> SupplierProfile:
    """Create the supplier's user (``user_type='supplier'``) and profile together, verification pending.

    Uniqueness was checked by the serializer; the database constraints decide races.
    """
    user = user_create(**user_data, user_type=User.UserType.SUPPLIER)
    profile = SupplierProfile(
        user=user, verification_status=SupplierProfile.VerificationStatus.PENDING, **profile_data
    )
    try:
        with transaction.atomic():
            profile.save()
    except IntegrityError as exc:
        raise _DUPLICATE_REGISTRATION from exc
    return profile


# The verified identity (SPEC §3): what an admin checked before verifying the supplier.
KYC_FIELDS = ("company_name", "business_registration", "tax_id", "address", "bank_details")


@transaction.atomic
def supplier_update(*, supplier: SupplierProfile, data: dict[str, Any], actor: User | None = None) -> SupplierProfile:
    """Apply validated profile changes. Which fields a caller may change is the serializer's job.

    A verified identity is not swappable: when the supplier itself (not an admin) changes a KYC field
    (``KYC_FIELDS``) of a verified profile, the profile goes back to ``pending`` — its products leave the
    catalog until an admin verifies it again — with a ``SupplierVerificationLog`` entry naming the changed
    fields, and the admins (and the supplier) are notified after commit.
    """
    if not data:
        return supplier
    supplier = SupplierProfile.objects.select_for_update().get(pk=supplier.pk)
    changed_kyc = [name for name in KYC_FIELDS if name in data and data[name] != getattr(supplier, name)]
    for field, value in data.items():
        setattr(supplier, field, value)
    update_fields = [*data.keys(), "updated_at"]
    reverify = bool(changed_kyc) and supplier.is_verified and not (actor is not None and is_admin(actor))
    if reverify:
        notes = f"Verified details changed by the supplier ({', '.join(changed_kyc)}): re-verification needed."
        supplier.verification_status = SupplierProfile.VerificationStatus.PENDING
        supplier.verification_notes = notes
        supplier.verified_at = None
        supplier.verified_by = None
        update_fields += ["verification_status", "verification_notes", "verified_at", "verified_by"]
    try:
        with transaction.atomic():
            supplier.save(update_fields=update_fields)
    except IntegrityError as exc:
        raise _DUPLICATE_REGISTRATION from exc
    if reverify:
        SupplierVerificationLog.objects.create(supplier=supplier, status=supplier.verification_status, notes=notes,
                                               decided_by=actor)
        notify("supplier_kyc_changed", supplier_id=supplier.pk)
    return supplier


@transaction.atomic
def supplier_verify(*, supplier_id: int, status: str, notes: str = "", actor: User | None) -> SupplierProfile:
    """An admin's decision (verified | rejected): recorded in the log, supplier notified after commit.

    A rejected (or later re-rejected) supplier's products disappear from the catalog at once, because
    the catalog only shows products of verified, active suppliers.
    """
    allowed = (SupplierProfile.VerificationStatus.VERIFIED, SupplierProfile.VerificationStatus.REJECTED)
    if status not in allowed:
        raise ValidationFailed(
            "status: Must be 'verified' or 'rejected'.", details={"status": ["Must be 'verified' or 'rejected'."]}
        )
    try:
        supplier = SupplierProfile.objects.select_for_update().get(pk=supplier_id)
    except SupplierProfile.DoesNotExist as exc:
        raise NotFound("Supplier not found.") from exc

    supplier.verification_status = status
    supplier.verification_notes = notes or ""
    supplier.verified_by = actor
    supplier.verified_at = timezone.now() if status == SupplierProfile.VerificationStatus.VERIFIED else None
    supplier.save(update_fields=["verification_status", "verification_notes", "verified_by", "verified_at",
                                 "updated_at"])
    SupplierVerificationLog.objects.create(supplier=supplier, status=status, notes=notes or "", decided_by=actor)
    notify(f"supplier_{status}", supplier_id=supplier.pk)
    return supplier
