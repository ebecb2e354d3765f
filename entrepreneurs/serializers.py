from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from core.links import media_url, storefront_url

from .models import EntrepreneurProfile
from .selectors import custom_url_taken
from .services import CUSTOM_URL_TAKEN
from .validators import CUSTOM_URL_MAX_LENGTH, normalize_custom_url, validate_custom_url


class EntrepreneurProfileSerializer(serializers.ModelSerializer):
    """The owner's view of the profile. Platform-managed fields are read-only."""

    custom_url = serializers.CharField(
        max_length=CUSTOM_URL_MAX_LENGTH + 10,
        help_text="Storefront address: 3–50 letters, digits, '-' or '_'; case-insensitive; stored lower-case.",
    )
    username = serializers.CharField(source="user.username", read_only=True)
    profile_image = serializers.SerializerMethodField()
    banner_image = serializers.SerializerMethodField()
    storefront_url = serializers.SerializerMethodField()

    class Meta:
        model = EntrepreneurProfile
        fields = [
            "id", "username", "business_name", "custom_url", "storefront_url", "bio", "profile_image", "banner_image",
            "commission_rate", "performance_tier", "total_sales", "total_earnings", "is_active", "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id", "commission_rate", "performance_tier", "total_sales", "total_earnings", "is_active", "created_at",
            "updated_at",
        ]

    def get_profile_image(self, obj) -> str | None:
        return media_url(obj.profile_image)

    def get_banner_image(self, obj) -> str | None:
        return media_url(obj.banner_image)

    def get_storefront_url(self, obj) -> str:
        return storefront_url(obj.custom_url)

    def validate_business_name(self, value):
        value = value.strip()
        if not value:
            raise serializers.ValidationError("This field may not be blank.")
        return value

    def validate_custom_url(self, value):
        value = normalize_custom_url(value)
        try:
            validate_custom_url(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages[0]) from exc
        if custom_url_taken(value, exclude_pk=self.instance.pk if self.instance else None):
            raise serializers.ValidationError(CUSTOM_URL_TAKEN)
        return value


class PublicEntrepreneurSerializer(serializers.ModelSerializer):
    """What a shopper sees: no money figures, no account details."""

    profile_image = serializers.SerializerMethodField()
    banner_image = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = EntrepreneurProfile
        fields = ["business_name", "custom_url", "url", "bio", "profile_image", "banner_image", "performance_tier"]
        read_only_fields = fields

    def get_profile_image(self, obj) -> str | None:
        return media_url(obj.profile_image)

    def get_banner_image(self, obj) -> str | None:
        return media_url(obj.banner_image)

    def get_url(self, obj) -> str:
        return storefront_url(obj.custom_url)


class ImageUploadSerializer(serializers.Serializer):
    image = serializers.FileField(help_text="JPEG, PNG or WebP; at most 10 MB and 40 megapixels.")


class ImageUploadResponseSerializer(serializers.Serializer):
    image_type = serializers.ChoiceField(choices=["profile", "banner"])
    url = serializers.URLField()
    profile = EntrepreneurProfileSerializer()
