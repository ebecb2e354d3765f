from rest_framework import serializers

from social.channels import ShareChannel

from .models import Order, OrderItem, OrderStatus, OrderStatusHistory
from .services import MAX_LINE_QUANTITY, MAX_NOTES_LENGTH, MAX_ORDER_LINES, OrderLine
from .shipping import NIGERIAN_STATES

# --- input -----------------------------------------------------------------------------------------


class OrderItemInputSerializer(serializers.Serializer):
    product_id = serializers.IntegerField(min_value=1)
    variation_id = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_LINE_QUANTITY)
    unit_price = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, required=False, allow_null=True,
        help_text="The price the client showed. Optional; if it differs from the server's price → 409 price_changed.",
    )


class ShippingAddressSerializer(serializers.Serializer):
    full_name = serializers.CharField(max_length=200)
    phone = serializers.CharField(max_length=32, help_text="Nigerian number, e.g. 08012345678; stored as E.164.")
    address = serializers.CharField(max_length=500)
    city = serializers.CharField(max_length=100)
    state = serializers.CharField(max_length=100, help_text="One of: " + ", ".join(NIGERIAN_STATES) + " (case-insensitive).")


class OrderCreateSerializer(serializers.Serializer):
    entrepreneur_custom_url = serializers.CharField(max_length=50)
    items = OrderItemInputSerializer(
        many=True, allow_empty=False, max_length=MAX_ORDER_LINES,
        help_text=f"1…{MAX_ORDER_LINES} lines. Lines for the same product and variation are merged (quantities added).",
    )
    shipping_address = ShippingAddressSerializer()
    notes = serializers.CharField(max_length=MAX_NOTES_LENGTH, required=False, allow_blank=True, default="")
    source_channel = serializers.ChoiceField(
        choices=ShareChannel.values, required=False, allow_blank=True, default="",
        help_text="The share-link channel (`src`) that brought the customer.",
    )

    def validate_items(self, items) -> list[OrderLine]:
        """Typed lines for ``order_create`` (it merges duplicates and checks them against the catalog)."""
        return [OrderLine(product_id=item["product_id"], quantity=item["quantity"],
                          variation_id=item.get("variation_id"), unit_price=item.get("unit_price"))
                for item in items]

    def to_internal_value(self, data):
        # Accept any case for the channel (links may carry ?src=WhatsApp).
        if type(data) is dict and isinstance(data.get("source_channel"), str):
            data = {**data, "source_channel": data["source_channel"].strip().lower()}
        return super().to_internal_value(data)


class OrderStatusUpdateSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=OrderStatus.values)
    notes = serializers.CharField(max_length=MAX_NOTES_LENGTH, required=False, allow_blank=True, default="")
    tracking_number = serializers.CharField(max_length=100, required=False, allow_blank=True, default="",
                                            help_text="Required when status is `shipped`.")


class OrderListFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=OrderStatus.values, required=False)
    date_from = serializers.DateField(required=False, help_text="YYYY-MM-DD (Lagos time, inclusive)")
    date_to = serializers.DateField(required=False, help_text="YYYY-MM-DD (Lagos time, inclusive)")

    def validate(self, attrs):
        if attrs.get("date_from") and attrs.get("date_to") and attrs["date_from"] > attrs["date_to"]:
            raise serializers.ValidationError({"date_to": ["Must not be before date_from."]})
        return attrs


# --- output ----------------------------------------------------------------------------------------


class OrderItemSerializer(serializers.ModelSerializer):
    product_id = serializers.IntegerField(read_only=True)
    variation_id = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = OrderItem
        fields = ["id", "product_id", "variation_id", "product_name", "product_sku", "quantity", "unit_price",
                  "base_price", "markup_amount", "commission_amount", "total_price"]
        read_only_fields = fields


class OrderStatusHistorySerializer(serializers.ModelSerializer):
    created_by = serializers.SerializerMethodField()

    class Meta:
        model = OrderStatusHistory
        fields = ["id", "previous_status", "status", "notes", "created_by", "created_at"]
        read_only_fields = fields

    def get_created_by(self, obj) -> dict | None:
        user = obj.created_by
        return {"id": user.pk, "username": user.username, "user_type": user.user_type} if user else None


class _PartySerializer(serializers.Serializer):
    id = serializers.IntegerField()


class CustomerSummarySerializer(_PartySerializer):
    username = serializers.CharField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()


class EntrepreneurSummarySerializer(_PartySerializer):
    business_name = serializers.CharField()
    custom_url = serializers.CharField()


class SupplierSummarySerializer(_PartySerializer):
    company_name = serializers.CharField()


class OrderSerializer(serializers.ModelSerializer):
    customer = CustomerSummarySerializer(read_only=True)
    entrepreneur = EntrepreneurSummarySerializer(read_only=True)
    supplier = SupplierSummarySerializer(read_only=True)
    allowed_transitions = serializers.SerializerMethodField()
    items = OrderItemSerializer(many=True, read_only=True)
    status_history = OrderStatusHistorySerializer(many=True, read_only=True)

    class Meta:
        model = Order
        fields = [
            "id", "order_id", "customer", "entrepreneur", "supplier", "status", "payment_status", "payment_method",
            "subtotal", "markup_amount", "commission_amount", "shipping_fee", "total_amount", "shipping_address",
            "tracking_number", "notes", "source_channel", "reserved_until", "paid_at", "shipped_at", "delivered_at",
            "cancelled_at", "created_at", "updated_at", "allowed_transitions", "items", "status_history",
        ]
        read_only_fields = fields

    def get_allowed_transitions(self, obj) -> list[str]:
        """The statuses the table allows next (``paid`` is reached only through a payment)."""
        return [s for s in obj.allowed_transitions() if s != OrderStatus.PAID]


class OrderStatusUpdateResponseSerializer(serializers.Serializer):
    message = serializers.CharField()
    order = OrderSerializer()


class SupplierOrderItemSerializer(serializers.ModelSerializer):
    """A line as its supplier sees it: what to pack, at the supplier's base price (SPEC §5)."""

    product_id = serializers.IntegerField(read_only=True)
    variation_id = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = OrderItem
        fields = ["id", "product_id", "variation_id", "product_name", "product_sku", "quantity", "base_price"]
        read_only_fields = fields


class SupplierOrderSerializer(OrderSerializer):
    """An order as its supplier sees it (SPEC §5): base prices, never the entrepreneur's markup or commission."""

    items = SupplierOrderItemSerializer(many=True, read_only=True)

    class Meta(OrderSerializer.Meta):
        fields = [name for name in OrderSerializer.Meta.fields if name not in ("markup_amount", "commission_amount")]
        read_only_fields = fields
