from core.errors import Conflict, NotFound

from .models import EntrepreneurProfile

PROFILE_REQUIRED_MESSAGE = "Create your entrepreneur profile first (POST /api/entrepreneurs/profile/)."


def entrepreneur_profile_for_user(user) -> EntrepreneurProfile | None:
    return EntrepreneurProfile.objects.select_related("user").filter(user=user).first()


def entrepreneur_profile_get(*, user) -> EntrepreneurProfile:
    """The user's own profile, or 404 (reading/updating a profile that does not exist)."""
    profile = entrepreneur_profile_for_user(user)
    if profile is None:
        raise NotFound("You have no entrepreneur profile yet.")
    return profile


def entrepreneur_profile_required(*, user) -> EntrepreneurProfile:
    """The user's own profile, or 409: an action that needs a profile to exist first."""
    profile = entrepreneur_profile_for_user(user)
    if profile is None:
        raise Conflict(PROFILE_REQUIRED_MESSAGE, code="profile_required")
    return profile


def custom_url_taken(custom_url: str, *, exclude_pk: int | None = None) -> bool:
    queryset = EntrepreneurProfile.objects.filter(custom_url__iexact=custom_url)
    if exclude_pk is not None:
        queryset = queryset.exclude(pk=exclude_pk)
    return queryset.exists()
