"""A user account deactivated takes its seller profile with it (a supplier's, an entrepreneur's).

An account that can no longer sign in cannot ship an order or answer a shopper: its profile is deactivated too,
through the profile's ``save()``, so that everything that follows a profile's ``is_active`` follows (the catalog
flag, the cached pages, placement refusing it). Reactivating the user leaves the profile to an admin. core knows
no app: each app names its profile model from its ``AppConfig.ready()`` (``follow_user_deactivation``).

Not for ``QuerySet.update(is_active=False)`` on users (no signal: deactivate the profiles in the same place) nor
raw saves (``loaddata``).
"""
from django.conf import settings
from django.db.models.signals import post_save


def deactivate_profile_of(profile_model, *, user_id: int) -> bool:
    """Deactivate the active ``profile_model`` row of this user; whether there was one."""
    profile = profile_model.objects.filter(user_id=user_id, is_active=True).first()
    if profile is None:
        return False
    profile.is_active = False
    profile.save(update_fields=["is_active", "updated_at"])
    return True


def follow_user_deactivation(profile_model, *, uid: str) -> None:
    """From ``AppConfig.ready()``: deactivate the user's ``profile_model`` row whenever its account is saved inactive
    (not on creation, not on a save that leaves ``is_active`` out of its ``update_fields``, not on a raw save)."""

    def on_user_saved(sender, instance, created=False, update_fields=None, raw=False, **kwargs) -> None:
        if raw or created or instance.is_active or (update_fields is not None and "is_active" not in update_fields):
            return
        deactivate_profile_of(profile_model, user_id=instance.pk)

    post_save.connect(on_user_saved, sender=settings.AUTH_USER_MODEL, dispatch_uid=f"{uid}:user_deactivated",
                      weak=False)
