"""Input validation and output shapes for suppliers. No business logic here (see services.py)."""
from decimal import Decimal

from rest_framework import serializers

from core.nigeria import normalize_states
from core.permissions import is_admin
from users.serializers import RegisterSerializer, UserSerializer, validate_phone_field

from .models import SupplierProfile, SupplierVerificationLog

_PROFILE_INPUT_FIELDS = (
    "company_name", "business_registration", "tax_id", "address", "contact_person", "bank_details",
    "payment_terms", "minimum_order_value", "delivery_areas", "business_hours",
)


def _clean_business_registration(value: str, *, exclude_pk=None) -> str:
    value = value.strip()
    if not value:
        raise serializers.ValidationError("This field may not be blank.")
    queryset = SupplierProfile.objects.filter(business_registration__iexact=value)
    if exclude_pk is not None:
        queryset = queryset.exclude(pk=exclude_pk)
    if queryset.exists():
        raise serializers.ValidationError("A supplier with this business registration already exists.")
    return value


class SupplierJSONFieldsMixin:
    """Shape checks for the profile's JSON fields, shared by registration and profile updates."""

    def validate_bank_details(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError("Must be an object.")
        return value

    def validate_business_hours(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError("Must be an object.")
        return value

    def validate_delivery_areas(self, value):
        """A list of the 36 states + FCT (any case, "Lagos State", "Abuja" …), stored canonical and deduplicated.
        Empty = delivers everywhere."""
        if not isinstance(value, list):
            raise serializers.ValidationError("Must be a list of Nigerian states.")
        names, unknown = normalize_states(value)
        if unknown:
            shown = ", ".join(repr(v) for v in unknown[:5])
            raise serializers.ValidationError(f"Not Nigerian states: {shown}. Use the 36 states or FCT.")
        return names


class SupplierRegistrationSerializer(SupplierJSONFieldsMixin, RegisterSerializer):
    """The user's fields (validated exactly as ``/api/users/register/`` does) plus the company's.

    ``user_type`` is always ``supplier``; ``commission_rate``, ``verification_status`` and
    ``performance_rating`` are decided by admins and ignored here.
    """

    user_type = None  # removes the inherited field: suppliers are always suppliers
    referral_code = None
    referred_by = None
    password2 = serializers.CharField(
        write_only=True, trim_whitespace=False, max_length=128, required=False,
        help_text="Password confirmation (must match `password` when given).",
    )

    company_name = serializers.CharField(max_length=200)
    business_registration = serializers.CharField(max_length=100)
    tax_id = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    address = serializers.CharField()
    contact_person = serializers.CharField(max_length=200)
    business_phone = serializers.CharField(
        max_length=32, required=False, allow_blank=True,
        help_text="The company's phone number (defaults to `phone_number`).",
    )
    business_email = serializers.EmailField(required=False, allow_blank=True,
                                            help_text="The company's email (defaults to `email`).")
    bank_details = serializers.JSONField(required=False, default=dict)
    payment_terms = serializers.CharField(max_length=100, required=False, allow_blank=True, default="net_7")
    minimum_order_value = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0"),
                                                   required=False, default=Decimal("0.00"))
    delivery_areas = serializers.JSONField(required=False, default=list)
    business_hours = serializers.JSONField(required=False, default=dict)

    def validate_business_registration(self, value):
        return _clean_business_registration(value)

    def validate_business_phone(self, value):
        return validate_phone_field(value) if value else ""

    def validate(self, attrs):
        if not attrs.get("password2"):
            attrs["password2"] = attrs["password"]
        return super().validate(attrs)

    def user_data(self) -> dict:
        data = self.validated_data
        return {
            "username": data["username"], "email": data["email"], "phone_number": data["phone_number"],
            "password": data["password"], "first_name": data.get("first_name", ""),
            "last_name": data.get("last_name", ""),
        }

    def profile_data(self) -> dict:
        data = self.validated_data
        profile = {field: data[field] for field in _PROFILE_INPUT_FIELDS if field in data}
        profile["phone_number"] = data.get("business_phone") or data["phone_number"]
        profile["email"] = (data.get("business_email") or data["email"]).strip().lower()
        return profile


# Fields only an admin may write; suppliers see them read-only.
ADMIN_ONLY_FIELDS = ("commission_rate", "performance_rating", "is_active", "business_registration")


class SupplierProfileSerializer(SupplierJSONFieldsMixin, serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    user_email = serializers.EmailField(source="user.email", read_only=True)
    user_phone = serializers.CharField(source="user.phone_number", read_only=True, allow_null=True)  # a user may have none

    class Meta:
        model = SupplierProfile
        fields = [
            "id", "username", "user_email", "user_phone", "company_name", "business_registration", "tax_id",
            "address", "contact_person", "phone_number", "email", "bank_details", "commission_rate",
            "payment_terms", "minimum_order_value", "delivery_areas", "business_hours", "verification_status",
            "verification_notes", "verified_at", "performance_rating", "is_active", "accepts_cod", "created_at",
            "updated_at",
        ]
        # verification_status changes only through POST …/verify/, which records who decided and why.
        read_only_fields = ["id", "verification_status", "verification_notes", "verified_at", "created_at",
                            "updated_at"]

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if not (request and is_admin(request.user)):
            for name in ADMIN_ONLY_FIELDS:
                fields[name].read_only = True
        return fields

    def validate_business_registration(self, value):
        return _clean_business_registration(value, exclude_pk=getattr(self.instance, "pk", None))

    def validate_phone_number(self, value):
        return validate_phone_field(value)

    def validate_email(self, value):
        return value.strip().lower()


class SupplierRegistrationResponseSerializer(serializers.Serializer):
    message = serializers.CharField()
    supplier = SupplierProfileSerializer()
    user = UserSerializer()
    access = serializers.CharField()
    refresh = serializers.CharField()


class SupplierVerifySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=[SupplierProfile.VerificationStatus.VERIFIED,
                                              SupplierProfile.VerificationStatus.REJECTED])
    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)

    def to_internal_value(self, data):
        # The guide's client sends ``verification_status``; accept it as an alias of ``status``.
        if hasattr(data, "get") and "status" not in data and "verification_status" in data:
            data = {"status": data.get("verification_status"), "notes": data.get("notes", "")}
        return super().to_internal_value(data)


class SupplierVerificationLogSerializer(serializers.ModelSerializer):
    decided_by = serializers.CharField(source="decided_by.username", read_only=True, default=None, allow_null=True)

    class Meta:
        model = SupplierVerificationLog
        fields = ["id", "status", "notes", "decided_by", "created_at"]
