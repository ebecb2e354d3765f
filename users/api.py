from django.contrib.auth.models import update_last_login
from drf_yasg.utils import swagger_auto_schema
from rest_framework import generics, permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.views import TokenRefreshView

from core.errors import NotAuthenticated
from core.throttling import ScopedRateThrottle

from .serializers import (
    LoginSerializer,
    LogoutSerializer,
    PasswordChangeSerializer,
    RegisterSerializer,
    TokenPairResponseSerializer,
    TokenRefreshResponseSerializer,
    TokenRefreshSerializer,
    UserSerializer,
)
from .services import user_authenticate, user_change_password, user_create
from .sessions import access_token_deny


def tokens_for(user) -> dict:
    refresh = RefreshToken.for_user(user)
    return {"access": str(refresh.access_token), "refresh": str(refresh), "user": UserSerializer(user).data}


class AuthThrottleMixin:
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"


class RegisterView(AuthThrottleMixin, APIView):
    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []

    @swagger_auto_schema(request_body=RegisterSerializer, responses={201: TokenPairResponseSerializer})
    def post(self, request):
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = user_create(
            username=data["username"], email=data["email"], phone_number=data["phone_number"],
            password=data["password"], user_type=data["user_type"], first_name=data.get("first_name", ""),
            last_name=data.get("last_name", ""), referral_code=data.get("referral_code") or "",
            referred_by=data.get("referred_by"),
        )
        return Response(tokens_for(user), status=status.HTTP_201_CREATED)


class LoginView(AuthThrottleMixin, APIView):
    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []

    @swagger_auto_schema(request_body=LoginSerializer, responses={200: TokenPairResponseSerializer})
    def post(self, request):
        serializer = LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = user_authenticate(identifier=serializer.validated_data["username"],
                                 password=serializer.validated_data["password"], request=request)
        if not user.is_active:
            raise NotAuthenticated("This account is disabled.")
        update_last_login(None, user)
        return Response(tokens_for(user))


class RefreshView(AuthThrottleMixin, TokenRefreshView):
    """Exchange a refresh token for a new access (and rotated refresh) token. The old refresh token is
    blacklisted; a token issued before the last password change, or of a deactivated user, is a 401."""

    serializer_class = TokenRefreshSerializer
    throttle_scope = "token_refresh"

    @swagger_auto_schema(responses={200: TokenRefreshResponseSerializer}, security=[])
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class LogoutView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @swagger_auto_schema(request_body=LogoutSerializer, responses={205: "Logged out"})
    def post(self, request):
        """Blacklist the refresh token; the access token of this request is refused from now on too."""
        serializer = LogoutSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            token = RefreshToken(serializer.validated_data["refresh"])
        except TokenError as exc:
            raise NotAuthenticated("Refresh token is invalid or expired.") from exc
        if str(token.get("user_id")) != str(request.user.pk):
            raise NotAuthenticated("Refresh token is invalid or expired.")
        token.blacklist()
        if request.auth is not None:
            access_token_deny(request.auth)
        return Response(status=status.HTTP_205_RESET_CONTENT)


class PasswordChangeView(AuthThrottleMixin, APIView):
    """Change the password (old + new). Every session of the account ends — refresh and access tokens on
    every device; the answer carries a fresh token pair for this device, so it stays logged in."""

    permission_classes = [permissions.IsAuthenticated]

    @swagger_auto_schema(request_body=PasswordChangeSerializer,
                         responses={200: TokenPairResponseSerializer, 400: "Wrong old password or weak new one"})
    def post(self, request):
        serializer = PasswordChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = user_change_password(user=request.user, old_password=serializer.validated_data["old_password"],
                                    new_password=serializer.validated_data["new_password"])
        if request.auth is not None:
            access_token_deny(request.auth)
        return Response(tokens_for(user))


class ProfileView(generics.RetrieveUpdateAPIView):
    serializer_class = UserSerializer
    permission_classes = [permissions.IsAuthenticated]
    http_method_names = ["get", "patch", "head", "options"]

    def get_object(self):
        return self.request.user
