from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from core.models import TimeStampedModel


class EntrepreneurStorefront(TimeStampedModel):
    entrepreneur = models.OneToOneField(
        "entrepreneurs.EntrepreneurProfile", on_delete=models.CASCADE, related_name="storefront"
    )
    theme = models.CharField(max_length=50, default="default")
    about_section = models.TextField(blank=True)
    contact_info = models.JSONField(default=dict, blank=True)
    social_links = models.JSONField(default=dict, blank=True)
    seo_title = models.CharField(max_length=70, blank=True)
    seo_description = models.CharField(max_length=160, blank=True)
    is_published = models.BooleanField(default=False)
    # Pay on delivery (SPEC §10): off unless the entrepreneur turns it on; orders above the maximum pay online.
    cod_enabled = models.BooleanField(default=False, help_text="Offer pay on delivery where every supplier accepts it.")
    cod_max_order_value = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("50000.00"),
                                              help_text="Largest order total (₦) that may be paid on delivery.")

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(cod_max_order_value__gte=0),
                                   name="storefront_cod_max_order_value_gte_0"),
        ]

    def __str__(self):
        return f"Storefront of {self.entrepreneur.business_name}"


class StoreProduct(TimeStampedModel):
    """A supplier product an entrepreneur sells, at the price the entrepreneur set."""

    storefront = models.ForeignKey(EntrepreneurStorefront, on_delete=models.CASCADE, related_name="store_products")
    product = models.ForeignKey("products.Product", on_delete=models.CASCADE, related_name="store_listings")
    selling_price = models.DecimalField(max_digits=12, decimal_places=2)
    is_featured = models.BooleanField(default=False)
    position = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["storefront", "product"], name="store_product_unique"),
            models.CheckConstraint(condition=models.Q(selling_price__gt=0), name="store_product_price_gt_0"),
        ]

    def __str__(self):
        return f"{self.product} @ ₦{self.selling_price}"

    def clean(self):
        # The API enforces the same rule in social.services; this covers Django admin.
        super().clean()
        if self.product_id and self.selling_price is not None and self.selling_price < self.product.base_price:
            raise ValidationError(
                {"selling_price": f"The selling price must be at least the base price (₦{self.product.base_price})."}
            )
        if self.product_id and self.selling_price is not None:
            maximum = self.product.base_price * settings.STORE_PRICE_MAX_FACTOR
            if self.selling_price > maximum:
                raise ValidationError({"selling_price": f"The selling price can be at most "
                                                        f"{settings.STORE_PRICE_MAX_FACTOR}× the base price (₦{maximum:.2f})."})
