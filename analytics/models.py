from django.conf import settings
from django.db import models
from django.utils import timezone


class AnalyticsEvent(models.Model):
    class EventType(models.TextChoices):
        STOREFRONT_VIEW = "storefront_view", "Storefront view"
        PRODUCT_VIEW = "product_view", "Product view"
        PRODUCT_SHARE = "product_share", "Product share"
        LINK_CLICK = "link_click", "Link click"
        ADD_TO_CART = "add_to_cart", "Add to cart"
        CHECKOUT = "checkout", "Checkout"

    event_type = models.CharField(max_length=30, choices=EventType.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    entrepreneur = models.ForeignKey(
        "entrepreneurs.EntrepreneurProfile", null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    product = models.ForeignKey("products.Product", null=True, blank=True, on_delete=models.SET_NULL, related_name="events")
    order = models.ForeignKey("orders.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="events")
    metadata = models.JSONField(default=dict, blank=True)
    # Salted hash of IP + user agent; raw IPs are never stored (Nigeria Data Protection Act).
    visitor_id = models.CharField(max_length=64, blank=True, db_index=True)
    user_agent = models.CharField(max_length=500, blank=True)
    # When it happened (a buffered view event keeps the time of the visit, not of its flush).
    timestamp = models.DateTimeField(default=timezone.now, db_index=True)
    # Set on buffered view events (analytics.buffer): a flush that is repeated never writes one twice.
    buffer_key = models.CharField(max_length=32, null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-timestamp", "-id"]
        indexes = [
            models.Index(fields=["entrepreneur", "event_type", "timestamp"]),
            models.Index(fields=["product", "event_type", "timestamp"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["buffer_key"], condition=models.Q(buffer_key__isnull=False),
                                    name="analytics_event_buffer_key_unique"),
        ]

    def __str__(self):
        return f"{self.event_type} @ {self.timestamp:%Y-%m-%d %H:%M}"


class DailyMetrics(models.Model):
    class EntityType(models.TextChoices):
        ENTREPRENEUR = "entrepreneur", "Entrepreneur"
        SUPPLIER = "supplier", "Supplier"
        PLATFORM = "platform", "Platform"

    date = models.DateField(db_index=True)
    metric_type = models.CharField(max_length=50)
    entity_type = models.CharField(max_length=20, choices=EntityType.choices)
    entity_id = models.PositiveBigIntegerField(default=0, help_text="0 for the platform as a whole")
    value = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "daily metrics"
        ordering = ["-date", "metric_type"]
        constraints = [
            models.UniqueConstraint(
                fields=["date", "metric_type", "entity_type", "entity_id"], name="daily_metric_unique"
            ),
        ]

    def __str__(self):
        return f"{self.date} {self.entity_type}:{self.entity_id} {self.metric_type}={self.value}"
