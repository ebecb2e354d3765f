from django.db.models import Value
from django.db.models.functions import Lower
from django.db.models.lookups import Exact

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


def custom_url_matches(custom_url: str, prefix: str = "") -> Exact:
    """A filter: the store address equals ``custom_url`` whatever the case, as the unique index
    ``entrepreneur_custom_url_ci_unique`` reads it — ``lower(custom_url) = lower(<value>)`` — so the lookup is one
    index probe (``custom_url__iexact`` compiles to ``UPPER(…) = UPPER(…)``, which no index answers: a scan of every
    entrepreneur). ``prefix`` reaches the field from a related model (``"entrepreneur__"``)."""
    return Exact(Lower(f"{prefix}custom_url"), Lower(Value(custom_url)))


def custom_url_taken(custom_url: str, *, exclude_pk: int | None = None) -> bool:
    queryset = EntrepreneurProfile.objects.filter(custom_url_matches(custom_url))
    if exclude_pk is not None:
        queryset = queryset.exclude(pk=exclude_pk)
    return queryset.exists()
