from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower

from core.models import TimeStampedModel

from .validators import normalize_custom_url, validate_custom_url

# Paths at the root that a storefront may never take (they are, or may become, our own routes).
RESERVED_CUSTOM_URLS = frozenset(
    {
        "api", "admin", "health", "static", "media", "docs", "login", "logout", "register", "signup",
        "account", "accounts", "auth", "dashboard", "settings", "payjaro", "support", "help", "about",
        "terms", "privacy", "checkout", "cart", "orders", "payments", "pay", "sandbox", "webhooks",
        "store", "stores", "shop", "products", "product", "suppliers", "supplier", "entrepreneurs",
        "users", "user", "www", "mail", "blog", "favicon.ico", "robots.txt", "sitemap.xml", "assets",
        "public", "share", "qr", "analytics", "root", "null", "undefined",
        "order", "new", "search", "explore", "category", "categories", "home", "index", "contact",
        "media-files", "staticfiles", "well-known", "api-docs", "swagger", "redoc", "graphql",
    }
)


class EntrepreneurProfile(TimeStampedModel):
    class PerformanceTier(models.TextChoices):
        BRONZE = "bronze", "Bronze"
        SILVER = "silver", "Silver"
        GOLD = "gold", "Gold"
        PLATINUM = "platinum", "Platinum"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="entrepreneur_profile")
    business_name = models.CharField(max_length=200)
    # Stored lower-case; unique case-insensitively (constraint below); never a reserved word.
    custom_url = models.SlugField(max_length=50, unique=True, validators=[validate_custom_url])
    bio = models.TextField(blank=True)
    profile_image = models.ImageField(upload_to="entrepreneurs/", blank=True, max_length=255)
    banner_image = models.ImageField(upload_to="entrepreneurs/", blank=True, max_length=255)
    commission_rate = models.DecimalField(
        max_digits=5, decimal_places=2, default=Decimal("5.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    performance_tier = models.CharField(max_length=20, choices=PerformanceTier.choices, default=PerformanceTier.BRONZE)
    total_sales = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))
    total_earnings = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))
    is_active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("custom_url"), name="entrepreneur_custom_url_ci_unique"),
            models.CheckConstraint(
                condition=models.Q(commission_rate__gte=0, commission_rate__lte=100),
                name="entrepreneur_commission_rate_range",
            ),
            models.CheckConstraint(condition=models.Q(total_sales__gte=0), name="entrepreneur_total_sales_gte_0"),
            models.CheckConstraint(condition=models.Q(total_earnings__gte=0), name="entrepreneur_total_earnings_gte_0"),
        ]

    def __str__(self):
        return f"{self.business_name} (/{self.custom_url}/)"

    def save(self, *args, **kwargs):
        self.custom_url = normalize_custom_url(self.custom_url)
        super().save(*args, **kwargs)
