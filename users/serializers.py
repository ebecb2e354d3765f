from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt import serializers as simplejwt_serializers
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.utils import get_md5_hash_password

from .models import User
from .phone import normalize_phone


def validate_phone_field(value: str) -> str:
    try:
        return normalize_phone(value)
    except DjangoValidationError as exc:
        raise serializers.ValidationError(exc.messages[0]) from exc


class RegisterSerializer(serializers.Serializer):
    username = serializers.RegexField(r"^[\w.@+-]+\Z", max_length=150)
    email = serializers.EmailField()
    phone_number = serializers.CharField(max_length=32)
    password = serializers.CharField(write_only=True, trim_whitespace=False, max_length=128)
    password2 = serializers.CharField(write_only=True, trim_whitespace=False, max_length=128)
    user_type = serializers.ChoiceField(choices=[User.UserType.CUSTOMER, User.UserType.ENTREPRENEUR],
                                        default=User.UserType.CUSTOMER)
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    referral_code = serializers.RegexField(r"^[A-Za-z0-9]{4,20}\Z", required=False, allow_blank=True,
                                           help_text="Your own referral code (generated when omitted).")
    referred_by = serializers.CharField(max_length=20, required=False, allow_blank=True,
                                        help_text="The referral code of the user who referred you.")

    def validate_username(self, value):
        if User.objects.filter(username__iexact=value).exists():
            raise serializers.ValidationError("A user with that username already exists.")
        return value

    def validate_email(self, value):
        value = value.strip().lower()
        if User.objects.filter(email__iexact=value).exists():
            raise serializers.ValidationError("A user with that email already exists.")
        return value

    def validate_phone_number(self, value):
        value = validate_phone_field(value)
        if User.objects.filter(phone_number=value).exists():
            raise serializers.ValidationError("A user with that phone number already exists.")
        return value

    def validate_referral_code(self, value):
        value = (value or "").strip().upper()
        if value and User.objects.filter(referral_code=value).exists():
            raise serializers.ValidationError("This referral code is already taken.")
        return value

    def validate_referred_by(self, value):
        value = (value or "").strip().upper()
        if not value:
            return None
        referrer = User.objects.filter(referral_code=value).first()
        if referrer is None:
            raise serializers.ValidationError("Unknown referral code.")
        return referrer

    def validate(self, attrs):
        if attrs["password"] != attrs["password2"]:
            raise serializers.ValidationError({"password2": ["The two passwords do not match."]})
        candidate = User(username=attrs["username"], email=attrs["email"],
                         first_name=attrs.get("first_name", ""), last_name=attrs.get("last_name", ""))
        try:
            password_validation.validate_password(attrs["password"], user=candidate)
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"password": list(exc.messages)}) from exc
        return attrs


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = [
            "id", "username", "email", "first_name", "last_name", "phone_number", "user_type",
            "referral_code", "referred_by", "is_phone_verified", "date_joined",
        ]
        read_only_fields = ["id", "username", "user_type", "referral_code", "referred_by",
                            "is_phone_verified", "date_joined"]

    def validate_email(self, value):
        value = value.strip().lower()
        if User.objects.filter(email__iexact=value).exclude(pk=self.instance.pk).exists():
            raise serializers.ValidationError("A user with that email already exists.")
        return value

    def validate_phone_number(self, value):
        if value in (None, ""):
            return None
        value = validate_phone_field(value)
        if User.objects.filter(phone_number=value).exclude(pk=self.instance.pk).exists():
            raise serializers.ValidationError("A user with that phone number already exists.")
        return value


class LoginSerializer(serializers.Serializer):
    username = serializers.CharField(help_text="Username or email address")
    password = serializers.CharField(trim_whitespace=False)


class TokenPairResponseSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()
    user = UserSerializer()


class LogoutSerializer(serializers.Serializer):
    refresh = serializers.CharField()


class PasswordChangeSerializer(serializers.Serializer):
    old_password = serializers.CharField(write_only=True, trim_whitespace=False, max_length=128)
    new_password = serializers.CharField(write_only=True, trim_whitespace=False, max_length=128,
                                         help_text="Checked by Django's password validators.")


class TokenRefreshResponseSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField(help_text="the rotated refresh token (the one sent is now blacklisted)")


class TokenRefreshSerializer(simplejwt_serializers.TokenRefreshSerializer):
    """SimpleJWT's refresh (rotation, blacklisting after rotation) for a refresh token that is still valid:
    its user exists and is active, and the password has not changed since it was issued
    (``CHECK_REVOKE_TOKEN`` — SimpleJWT checks that on access tokens only)."""

    def validate(self, attrs):
        refresh = self.token_class(attrs["refresh"])
        user = User.objects.filter(pk=refresh.get(jwt_settings.USER_ID_CLAIM)).only("password", "is_active").first()
        if user is None or not user.is_active:
            raise AuthenticationFailed("No active account found for the given token.", code="no_active_account")
        if jwt_settings.CHECK_REVOKE_TOKEN and (
            refresh.get(jwt_settings.REVOKE_TOKEN_CLAIM) != get_md5_hash_password(user.password)
        ):
            raise AuthenticationFailed("The password has changed since this token was issued. Please log in again.",
                                       code="password_changed")
        return super().validate(attrs)
