from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from core.models import TimeStampedModel


class SupplierProfile(TimeStampedModel):
    class VerificationStatus(models.TextChoices):
        PENDING = "pending", "Pending"
        VERIFIED = "verified", "Verified"
        REJECTED = "rejected", "Rejected"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="supplier_profile")
    company_name = models.CharField(max_length=200)
    business_registration = models.CharField(max_length=100, unique=True)
    tax_id = models.CharField(max_length=100, blank=True)
    address = models.TextField()
    contact_person = models.CharField(max_length=200)
    phone_number = models.CharField(max_length=20)
    email = models.EmailField()
    bank_details = models.JSONField(default=dict, blank=True)
    # The platform's commission on this supplier's sales, percent (SPEC §3, §6.5).
    commission_rate = models.DecimalField(
        max_digits=5, decimal_places=2, default=Decimal("10.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("50"))],
    )
    payment_terms = models.CharField(max_length=100, blank=True, default="net_7")
    minimum_order_value = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0.00"))
    delivery_areas = models.JSONField(default=list, blank=True)
    business_hours = models.JSONField(default=dict, blank=True)
    verification_status = models.CharField(
        max_length=20, choices=VerificationStatus.choices, default=VerificationStatus.PENDING, db_index=True
    )
    verification_notes = models.TextField(blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    performance_rating = models.DecimalField(
        max_digits=3, decimal_places=2, default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("5"))],
    )
    is_active = models.BooleanField(default=True)
    # Pay on delivery (SPEC §10): the supplier's courier collects the cash, so the supplier opts in.
    accepts_cod = models.BooleanField(default=False, help_text="Accepts pay-on-delivery orders (its courier collects the cash).")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(commission_rate__gte=0, commission_rate__lte=50),
                name="supplier_commission_rate_range",
            ),
            models.CheckConstraint(
                condition=models.Q(performance_rating__gte=0, performance_rating__lte=5),
                name="supplier_performance_rating_range",
            ),
            models.CheckConstraint(condition=models.Q(minimum_order_value__gte=0), name="supplier_min_order_gte_0"),
        ]

    def __str__(self):
        return f"{self.company_name} ({self.verification_status})"

    @property
    def is_verified(self) -> bool:
        return self.verification_status == self.VerificationStatus.VERIFIED

    @property
    def can_sell(self) -> bool:
        """The one rule for "this supplier may sell": verified by an admin and active (``can_sell_q``)."""
        return self.is_active and self.is_verified

    @classmethod
    def can_sell_q(cls, prefix: str = "") -> models.Q:
        """``can_sell`` for querysets; ``prefix`` reaches the supplier from a related model (``"supplier__"``)."""
        return models.Q(**{f"{prefix}verification_status": cls.VerificationStatus.VERIFIED, f"{prefix}is_active": True})


class SupplierVerificationLog(models.Model):
    """Every verification decision, who made it and why."""

    supplier = models.ForeignKey(SupplierProfile, on_delete=models.CASCADE, related_name="verification_logs")
    status = models.CharField(max_length=20, choices=SupplierProfile.VerificationStatus.choices)
    notes = models.TextField(blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.supplier.company_name}: {self.status}"
