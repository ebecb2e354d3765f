"""Input validation and output shapes for the analytics API."""
import json
from urllib.parse import urlsplit

from django.db.models import Q
from rest_framework import serializers

from entrepreneurs.models import EntrepreneurProfile
from entrepreneurs.selectors import custom_url_matches
from products.models import Product
from social.channels import ShareChannel

from .models import AnalyticsEvent
from .selectors import MAX_DAYS, MIN_DAYS

MAX_METADATA_BYTES = 2048
# The guide's clients say "twitter"; the channel is called "x" everywhere else.
CHANNEL_ALIASES = {"twitter": ShareChannel.X}
# Events that are about a product and make no sense without one.
PRODUCT_EVENTS = {
    AnalyticsEvent.EventType.PRODUCT_VIEW, AnalyticsEvent.EventType.PRODUCT_SHARE, AnalyticsEvent.EventType.ADD_TO_CART,
}


def _validate_metadata(value):
    if not isinstance(value, dict):
        raise serializers.ValidationError("Must be a JSON object.")
    size = len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())
    if size > MAX_METADATA_BYTES:
        raise serializers.ValidationError(f"At most {MAX_METADATA_BYTES} bytes of JSON (got {size}).")
    return value


def _validate_link_url(value):
    # Not URLField: share links are built from PUBLIC_BASE_URL, which may be a bare host ("testserver").
    parts = urlsplit(value)
    if value and (parts.scheme not in ("http", "https") or not parts.netloc):
        raise serializers.ValidationError("Enter a valid http(s) URL.")
    return value


class _TargetSerializer(serializers.Serializer):
    """Resolves ``entrepreneur_id`` / ``custom_url`` and ``product_id`` to rows: unknown ids → 400."""

    entrepreneur_id = serializers.IntegerField(required=False, min_value=1)
    custom_url = serializers.SlugField(required=False, max_length=50,
                                       help_text="The storefront's custom URL (instead of entrepreneur_id).")
    product_id = serializers.IntegerField(required=False, min_value=1)

    def validate(self, attrs):
        attrs = super().validate(attrs)
        entrepreneur = None
        entrepreneur_id = attrs.pop("entrepreneur_id", None)
        custom_url = attrs.pop("custom_url", None)
        if entrepreneur_id is not None or custom_url:
            match = Q(pk=entrepreneur_id) if entrepreneur_id is not None else custom_url_matches(custom_url)
            try:
                entrepreneur = EntrepreneurProfile.objects.get(match, is_active=True)
            except EntrepreneurProfile.DoesNotExist:
                field = "entrepreneur_id" if entrepreneur_id is not None else "custom_url"
                raise serializers.ValidationError({field: ["No such storefront."]}) from None
        product = None
        product_id = attrs.pop("product_id", None)
        if product_id is not None:
            try:
                product = Product.objects.only("id", "supplier_id").get(pk=product_id)
            except Product.DoesNotExist:
                raise serializers.ValidationError({"product_id": ["No such product."]}) from None
        if entrepreneur is None and product is None:
            raise serializers.ValidationError("Give entrepreneur_id (or custom_url) and/or product_id.")
        attrs["entrepreneur"] = entrepreneur
        attrs["product"] = product
        return attrs


class TrackEventSerializer(_TargetSerializer):
    event_type = serializers.ChoiceField(choices=AnalyticsEvent.EventType.choices)
    metadata = serializers.JSONField(required=False, default=dict, validators=[_validate_metadata],
                                     help_text=f"A JSON object of at most {MAX_METADATA_BYTES} bytes.")

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if attrs["event_type"] in PRODUCT_EVENTS and attrs["product"] is None:
            raise serializers.ValidationError({"product_id": [f"Required for {attrs['event_type']} events."]})
        return attrs


class TrackClickSerializer(_TargetSerializer):
    channel = serializers.CharField(required=False, max_length=20,
                                    help_text="Share channel: " + ", ".join(ShareChannel.values) + " (alias: src, platform).")
    src = serializers.CharField(required=False, max_length=20, write_only=True)
    platform = serializers.CharField(required=False, max_length=20, write_only=True)
    url = serializers.CharField(required=False, max_length=500, allow_blank=True, validators=[_validate_link_url],
                                help_text="The shared link that was clicked (http or https).")
    link_type = serializers.CharField(required=False, max_length=30, allow_blank=True)

    def validate(self, attrs):
        raw = attrs.pop("channel", None) or attrs.pop("src", None) or attrs.pop("platform", None)
        attrs.pop("src", None)
        attrs.pop("platform", None)
        if not raw:
            raise serializers.ValidationError({"channel": ["This field is required."]})
        channel = CHANNEL_ALIASES.get(raw.strip().lower(), raw.strip().lower())
        if channel not in ShareChannel.values:
            raise serializers.ValidationError(
                {"channel": [f"Unknown channel {raw!r}; one of {', '.join(ShareChannel.values)}."]}
            )
        attrs = super().validate(attrs)
        metadata = {"channel": str(channel), "url": attrs.pop("url", "") or ""}
        link_type = attrs.pop("link_type", "")
        if link_type:
            metadata["link_type"] = link_type
        attrs["metadata"] = metadata
        return attrs


class TrackResponseSerializer(serializers.Serializer):
    status = serializers.CharField(default="success")


class DaysQuerySerializer(serializers.Serializer):
    days = serializers.IntegerField(min_value=MIN_DAYS, max_value=MAX_DAYS, default=30)


# --- Output ---------------------------------------------------------------------------------------

_MONEY = {"max_digits": 16, "decimal_places": 2}


class TopProductSerializer(serializers.Serializer):
    product_id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.CharField()
    quantity_sold = serializers.IntegerField()
    revenue = serializers.DecimalField(**_MONEY)
    order_count = serializers.IntegerField()


class ChannelRevenueSerializer(serializers.Serializer):
    channel = serializers.CharField()
    orders = serializers.IntegerField()
    revenue = serializers.DecimalField(**_MONEY)


class DailyBreakdownSerializer(serializers.Serializer):
    date = serializers.DateField()
    views = serializers.IntegerField(help_text="Storefront views")
    product_views = serializers.IntegerField()
    unique_visitors = serializers.IntegerField()
    shares = serializers.IntegerField()
    orders = serializers.IntegerField(help_text="Paid orders placed that day")
    revenue = serializers.DecimalField(**_MONEY)


class _MetricsSerializer(serializers.Serializer):
    days = serializers.IntegerField()
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    product_views = serializers.IntegerField()
    unique_visitors = serializers.IntegerField()
    social_shares = serializers.IntegerField()
    link_clicks = serializers.IntegerField()
    total_orders = serializers.IntegerField(help_text="Paid orders placed in the window")
    total_revenue = serializers.DecimalField(**_MONEY, help_text="Σ total_amount of those orders")
    cod_revenue = serializers.DecimalField(**_MONEY, help_text="Of which paid in cash on delivery (once collected)")
    total_items_sold = serializers.IntegerField()
    average_order_value = serializers.DecimalField(**_MONEY)
    conversion_rate = serializers.DecimalField(max_digits=12, decimal_places=2,
                                               help_text="Orders per 100 unique visitors")
    top_products = TopProductSerializer(many=True)
    revenue_by_channel = ChannelRevenueSerializer(many=True)
    daily_breakdown = DailyBreakdownSerializer(many=True)


class EntrepreneurMetricsSerializer(_MetricsSerializer):
    total_views = serializers.IntegerField(help_text="Storefront views")
    total_earnings = serializers.DecimalField(**_MONEY, help_text="Markup + commission on the paid orders")


class SupplierMetricsSerializer(_MetricsSerializer):
    total_base_sales = serializers.DecimalField(**_MONEY, help_text="Σ subtotal (base prices) of the paid orders")


# --- the supplier dashboard (analytics.supplier_dashboard) ------------------------------------------

class DashboardRecentOrderSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    order_id = serializers.CharField()
    status = serializers.CharField()
    payment_status = serializers.CharField()
    subtotal = serializers.DecimalField(max_digits=14, decimal_places=2)
    total_amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    created_at = serializers.DateTimeField()


class DashboardTopProductSerializer(serializers.Serializer):
    product_id = serializers.IntegerField()
    name = serializers.CharField()
    sku = serializers.CharField()
    quantity_sold = serializers.IntegerField()
    revenue = serializers.DecimalField(max_digits=14, decimal_places=2)


class SupplierDashboardSerializer(serializers.Serializer):
    total_products = serializers.IntegerField()
    active_products = serializers.IntegerField()
    total_orders = serializers.IntegerField()
    total_revenue = serializers.DecimalField(max_digits=16, decimal_places=2,
                                             help_text="The supplier's own share of its paid orders (ledger)")
    pending_balance = serializers.DecimalField(max_digits=14, decimal_places=2)
    available_balance = serializers.DecimalField(max_digits=14, decimal_places=2)
    total_withdrawn = serializers.DecimalField(max_digits=14, decimal_places=2)
    pending_orders = serializers.IntegerField()
    completed_orders = serializers.IntegerField()
    cod_revenue = serializers.DecimalField(max_digits=16, decimal_places=2,
                                           help_text="Pay on delivery: Σ total of orders whose cash was collected")
    refused_deliveries = serializers.IntegerField(help_text="Pay-on-delivery parcels refused at the door")
    orders_by_status = serializers.DictField(child=serializers.IntegerField())
    recent_orders = DashboardRecentOrderSerializer(many=True)
    top_products = DashboardTopProductSerializer(many=True)
    verification_status = serializers.CharField()
    performance_rating = serializers.DecimalField(max_digits=3, decimal_places=2)
