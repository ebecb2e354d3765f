from django.contrib.auth import authenticate, password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction

from core.errors import NotAuthenticated, ValidationFailed

from .models import User


@transaction.atomic
def user_create(*, username: str, email: str, phone_number: str, password: str, user_type: str,
                first_name: str = "", last_name: str = "", referral_code: str = "",
                referred_by: User | None = None) -> User:
    """Create a user. Uniqueness was checked by the serializer; the database has the last word."""
    user = User(
        username=username, email=email, phone_number=phone_number, user_type=user_type,
        first_name=first_name, last_name=last_name, referral_code=referral_code or "", referred_by=referred_by,
    )
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        raise ValidationFailed(
            "A user with these details already exists.",
            details={"non_field_errors": ["username, email, phone number or referral code is taken."]},
        ) from exc
    return user


def user_authenticate(*, identifier: str, password: str, request=None) -> User:
    """Log in by username or by email (case-insensitive)."""
    identifier = identifier.strip()
    username = identifier
    if "@" in identifier:
        match = User.objects.filter(email__iexact=identifier).values_list("username", flat=True).first()
        if match:
            username = match
    user = authenticate(request=request, username=username, password=password)
    if user is None:
        raise NotAuthenticated("Invalid username/email or password.")
    return user


@transaction.atomic
def user_change_password(*, user: User, old_password: str, new_password: str) -> User:
    """The user's own password change: the old password must match (400 otherwise) and the new one pass
    Django's validators. Saving the new password ends every session (``User.save`` → ``users.sessions``)."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.check_password(old_password):
        raise ValidationFailed("old_password: The current password is wrong.",
                               details={"old_password": ["The current password is wrong."]})
    try:
        password_validation.validate_password(new_password, user=user)
    except DjangoValidationError as exc:
        raise ValidationFailed(f"new_password: {exc.messages[0]}", details={"new_password": list(exc.messages)}) from exc
    user.set_password(new_password)
    user.save(update_fields=["password", "updated_at"])
    return user
