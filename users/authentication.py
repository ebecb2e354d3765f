"""The project's JWT authentication: SimpleJWT's, plus the logout denylist (``users.sessions``).

SimpleJWT already refuses tokens of inactive users (``CHECK_USER_IS_ACTIVE``) and tokens issued before
the user's last password change (``CHECK_REVOKE_TOKEN``).
"""
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed
from rest_framework_simplejwt.settings import api_settings

from .sessions import access_token_is_denied


class JWTAuthentication(authentication.JWTAuthentication):
    def get_user(self, validated_token):
        if access_token_is_denied(validated_token.get(api_settings.JTI_CLAIM)):
            raise AuthenticationFailed("This token was logged out.", code="token_revoked")
        return super().get_user(validated_token)
