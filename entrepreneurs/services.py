"""Writes for entrepreneur profiles and their images."""
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from core.errors import Conflict, PermissionDenied, ValidationFailed
from core.images import BANNER_SIZE, PROFILE_SIZE, delete_stored_file, delete_stored_file_on_commit, process_image, store_image

from .models import EntrepreneurProfile
from .selectors import custom_url_taken, entrepreneur_profile_required
from .validators import normalize_custom_url

CUSTOM_URL_TAKEN = "This address is already taken."
# Fields the owner may write; commission_rate, performance_tier, totals and is_active are the platform's.
OWNER_EDITABLE_FIELDS = ("business_name", "custom_url", "bio")


@dataclass(frozen=True)
class ImageSpec:
    field: str
    max_size: tuple[int, int]
    crop: bool


# SPEC §7: profile 400×400, banner 1200×400 (both cropped to fill the frame).
IMAGE_SPECS = {
    "profile": ImageSpec(field="profile_image", max_size=PROFILE_SIZE, crop=True),
    "banner": ImageSpec(field="banner_image", max_size=BANNER_SIZE, crop=True),
}


def _ensure_entrepreneur(user) -> None:
    if getattr(user, "user_type", None) != "entrepreneur":
        raise PermissionDenied("Only entrepreneur accounts can do this.")


def _custom_url_error() -> ValidationFailed:
    return ValidationFailed(f"custom_url: {CUSTOM_URL_TAKEN}", details={"custom_url": [CUSTOM_URL_TAKEN]})


def entrepreneur_profile_create(*, user, business_name: str, custom_url: str, bio: str = "") -> EntrepreneurProfile:
    """One profile per entrepreneur user (a second one is a 409); the address is unique case-insensitively."""
    _ensure_entrepreneur(user)
    custom_url = normalize_custom_url(custom_url)
    if EntrepreneurProfile.objects.filter(user=user).exists():
        raise Conflict("You already have an entrepreneur profile.", code="profile_exists")
    if custom_url_taken(custom_url):
        raise _custom_url_error()
    profile = EntrepreneurProfile(user=user, business_name=business_name, custom_url=custom_url, bio=bio)
    try:
        with transaction.atomic():
            profile.save()
    except IntegrityError as exc:
        # Lost a race: the database constraints decide which rule was broken.
        if EntrepreneurProfile.objects.filter(user=user).exists():
            raise Conflict("You already have an entrepreneur profile.", code="profile_exists") from exc
        raise _custom_url_error() from exc
    return profile


def entrepreneur_profile_update(*, profile: EntrepreneurProfile, data: dict) -> EntrepreneurProfile:
    """Update the owner-editable fields present in ``data``; anything else is ignored."""
    changed = []
    for field in OWNER_EDITABLE_FIELDS:
        if field not in data:
            continue
        value = normalize_custom_url(data[field]) if field == "custom_url" else data[field]
        if getattr(profile, field) != value:
            setattr(profile, field, value)
            changed.append(field)
    if not changed:
        return profile
    if "custom_url" in changed and custom_url_taken(profile.custom_url, exclude_pk=profile.pk):
        raise _custom_url_error()
    try:
        with transaction.atomic():
            profile.save(update_fields=[*changed, "updated_at"])
    except IntegrityError as exc:
        raise _custom_url_error() from exc
    return profile


def entrepreneur_image_set(*, user, image_type: str, uploaded_file) -> EntrepreneurProfile:
    """Validate, resize and store a profile/banner image, then point the profile at it.

    The old file is deleted only after the new name is committed, so a failure never leaves the
    profile pointing at a missing file.
    """
    _ensure_entrepreneur(user)
    spec = IMAGE_SPECS.get(image_type)
    if spec is None:
        raise ValidationFailed(
            "Invalid image type. Use 'profile' or 'banner'.", details={"image_type": ["Use 'profile' or 'banner'."]}
        )
    if uploaded_file is None:
        raise ValidationFailed("image: No image file was provided.", details={"image": ["No image file was provided."]})
    profile = entrepreneur_profile_required(user=user)

    # Decoding and resizing happen before any row lock is taken.
    content = process_image(uploaded_file, max_size=spec.max_size, crop=spec.crop)
    new_name = store_image(content, prefix=f"entrepreneurs/{profile.pk}/{image_type}")
    try:
        with transaction.atomic():
            locked = EntrepreneurProfile.objects.select_for_update().get(pk=profile.pk)
            old_name = getattr(locked, spec.field).name
            setattr(locked, spec.field, new_name)
            locked.save(update_fields=[spec.field, "updated_at"])
            if old_name != new_name:
                delete_stored_file_on_commit(old_name)
    except BaseException:
        delete_stored_file(new_name)  # the row never pointed at it
        raise
    return locked
