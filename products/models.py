from decimal import Decimal

from django.conf import settings
from django.db import models

from core.models import TimeStampedModel


class Category(TimeStampedModel):
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=120, unique=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name_plural = "categories"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(parent=models.F("id")), name="category_not_own_parent"),
        ]

    def __str__(self):
        return self.name


class Product(TimeStampedModel):
    supplier = models.ForeignKey("suppliers.SupplierProfile", on_delete=models.PROTECT, related_name="products")
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.PROTECT, related_name="products")
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True)
    description = models.TextField(blank=True)
    sku = models.CharField(max_length=64, unique=True)
    base_price = models.DecimalField(max_digits=12, decimal_places=2)
    suggested_markup = models.DecimalField(max_digits=6, decimal_places=2, default=Decimal("20.00"))
    stock_quantity = models.IntegerField(default=0)
    weight = models.DecimalField(max_digits=8, decimal_places=3, null=True, blank=True, help_text="kg")
    is_active = models.BooleanField(default=True, db_index=True)
    # ``is_catalog_visible`` stored, so the catalog list and its count read one partial index instead of
    # joining suppliers (products/visibility.py keeps it in step; ``save()`` sets it from the loaded rows).
    catalog_visible = models.BooleanField(default=False, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["supplier", "is_active"]),
            # The catalog page (newest first) and its COUNT(*): an index-only scan of the visible rows.
            models.Index(fields=["-created_at", "-id"], condition=models.Q(catalog_visible=True),
                         name="product_catalog_visible_page"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(stock_quantity__gte=0), name="product_stock_gte_0"),
            models.CheckConstraint(condition=models.Q(base_price__gt=0), name="product_base_price_gt_0"),
            models.CheckConstraint(
                condition=models.Q(suggested_markup__gte=0, suggested_markup__lte=1000),
                name="product_suggested_markup_range",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.sku})"

    @property
    def is_catalog_visible(self) -> bool:
        """Same rule as ``products.selectors.catalog_visible_q``, for a loaded product."""
        return bool(self.is_active and self.supplier.can_sell)

    def save(self, *args, **kwargs):
        """Keep ``catalog_visible`` in step whenever ``is_active`` or the supplier is written. A supplier's own
        change reaches its products through ``products.visibility`` (a ``SupplierProfile`` save)."""
        update_fields = kwargs.get("update_fields")
        if update_fields is None or {"is_active", "supplier", "supplier_id"} & set(update_fields):
            self.catalog_visible = self.is_catalog_visible
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "catalog_visible"}
        super().save(*args, **kwargs)


class ProductVariation(TimeStampedModel):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="variations")
    name = models.CharField(max_length=100)
    attributes = models.JSONField(default=dict, blank=True)
    sku = models.CharField(max_length=64, unique=True)
    price_modifier = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0.00"))
    stock_quantity = models.IntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(stock_quantity__gte=0), name="variation_stock_gte_0"),
        ]

    def __str__(self):
        return f"{self.product.name} — {self.name}"


class ProductImage(TimeStampedModel):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images")
    image = models.ImageField(upload_to="products/", max_length=255)
    alt_text = models.CharField(max_length=200, blank=True)
    is_primary = models.BooleanField(default=False)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["product"], condition=models.Q(is_primary=True), name="one_primary_image_per_product"
            ),
        ]

    def __str__(self):
        return f"Image {self.pk} of {self.product_id}{' (primary)' if self.is_primary else ''}"


class InventoryAdjustment(models.Model):
    """A record of every absolute stock change made by a supplier or admin (update_inventory)."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="inventory_adjustments")
    variation = models.ForeignKey(
        ProductVariation, null=True, blank=True, on_delete=models.CASCADE, related_name="inventory_adjustments"
    )
    previous_quantity = models.IntegerField()
    new_quantity = models.IntegerField()
    reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(new_quantity__gte=0), name="inventory_adjustment_new_gte_0"),
        ]

    def __str__(self):
        return f"{self.product_id}: {self.previous_quantity} → {self.new_quantity}"
