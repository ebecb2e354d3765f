"""Ending JWT sessions: every session of a user at once, or one access token at logout.

Three mechanisms, each for what the others cannot do:

- ``CHECK_REVOKE_TOKEN`` (SimpleJWT): every token carries a hash of the user's password hash
  (``REVOKE_TOKEN_CLAIM``); once the password changes — the user's own change, a reset in Django
  admin, ``manage.py changepassword`` — no token issued before it authenticates any more, access or
  refresh (``users.authentication``, ``users.serializers.TokenRefreshSerializer``).
- ``user_end_sessions``: blacklists every outstanding refresh token of the user. Called on a password
  change and whenever an inactive user is saved, so re-activating an account does not revive the
  sessions it had.
- ``access_token_deny``: logout blacklists its refresh token; the access token that came with it is
  also denied (a cache entry keyed by its ``jti``, until it would have expired anyway).
"""
import logging
from datetime import UTC, datetime

from django.core.cache import cache
from django.utils import timezone
from redis.exceptions import RedisError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

logger = logging.getLogger(__name__)

CACHE_ERRORS = (RedisError, OSError)
_DENIED_KEY = "jwt:denied:{jti}"


def user_end_sessions(user) -> int:
    """Blacklist every outstanding, unexpired refresh token of ``user``; returns how many were blacklisted."""
    tokens = list(
        OutstandingToken.objects.filter(user_id=user.pk, expires_at__gt=timezone.now(), blacklistedtoken__isnull=True)
    )
    BlacklistedToken.objects.bulk_create([BlacklistedToken(token=token) for token in tokens], ignore_conflicts=True)
    return len(tokens)


def access_token_deny(token) -> None:
    """Deny a validated access token (``jti``, ``exp`` claims) until it expires.

    The denylist lives in the shared cache (Redis in production, where every worker sees it). If the cache
    is down the logout still blacklists its refresh token; the access token then lives out its short life.
    """
    jti, exp = token.get("jti"), token.get("exp")
    if not jti or not exp:
        return
    seconds = int(exp - datetime.now(tz=UTC).timestamp()) + 1
    if seconds <= 0:
        return
    try:
        cache.set(_DENIED_KEY.format(jti=jti), 1, timeout=seconds)
    except CACHE_ERRORS as exc:
        logger.warning("could not deny access token %s: cache unavailable (%s)", jti, exc)


def access_token_is_denied(jti) -> bool:
    """True when the access token was denied at logout. A cache outage fails open (logged)."""
    if not jti:
        return False
    try:
        return cache.get(_DENIED_KEY.format(jti=jti)) is not None
    except CACHE_ERRORS as exc:
        logger.warning("access-token denylist skipped: cache unavailable (%s)", exc)
        return False
