"""The project's JWT authentication: SimpleJWT's, plus the logout denylist (``users.sessions``), with the user
read compiled once per connection (``core.prepared``: it is the first query of every authenticated request).

The checks are SimpleJWT's own (``JWTAuthentication.get_user``), in its order: a token without a user claim is
invalid; an unknown user, an inactive one (``CHECK_USER_IS_ACTIVE``) and a token issued before the user's last
password change (``CHECK_REVOKE_TOKEN``) are refused.
"""
from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.utils import get_md5_hash_password

from core.prepared import PreparedRead

from .models import User
from .sessions import access_token_is_denied

_USER = PreparedRead(lambda user_id: User.objects.filter(**{api_settings.USER_ID_FIELD: user_id}), user_id=int)


class JWTAuthentication(authentication.JWTAuthentication):
    def get_user(self, validated_token):
        if access_token_is_denied(validated_token.get(api_settings.JTI_CLAIM)):
            raise AuthenticationFailed("This token was logged out.", code="token_revoked")
        try:
            user_id = int(validated_token[api_settings.USER_ID_CLAIM])
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidToken(_("Token contained no recognizable user identification")) from exc
        found = _USER(user_id=user_id)
        if not found:
            raise AuthenticationFailed(_("User not found"), code="user_not_found")
        (user,) = found
        if api_settings.CHECK_USER_IS_ACTIVE and not user.is_active:
            raise AuthenticationFailed(_("User is inactive"), code="user_inactive")
        if api_settings.CHECK_REVOKE_TOKEN and (
                validated_token.get(api_settings.REVOKE_TOKEN_CLAIM) != get_md5_hash_password(user.password)):
            raise AuthenticationFailed(_("The user's password has been changed."), code="password_changed")
        return user
