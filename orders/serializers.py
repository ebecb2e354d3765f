from rest_framework import serializers

from core.permissions import has_role, is_admin
from core.serializers import FieldsBuiltOnceMixin, PlannedRepresentationMixin
from core.validators import MAX_ID
from social.channels import ShareChannel

from .models import Checkout, Order, OrderItem, OrderStatus, OrderStatusHistory
from .pricing import supplier_share
from .selectors import ORDER_RELATED
from .services import MAX_LINE_QUANTITY, MAX_NOTES_LENGTH, MAX_ORDER_LINES, PAYMENT_METHODS, OrderLine
from .shipping import NIGERIAN_STATES

# --- input -----------------------------------------------------------------------------------------


class OrderItemInputSerializer(FieldsBuiltOnceMixin, serializers.Serializer):
    product_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    variation_id = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False, allow_null=True)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_LINE_QUANTITY)
    unit_price = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, required=False, allow_null=True,
        help_text="The price the client showed. Optional; if it differs from the server's price → 409 price_changed.",
    )


class ShippingAddressSerializer(FieldsBuiltOnceMixin, serializers.Serializer):
    full_name = serializers.CharField(max_length=200)
    phone = serializers.CharField(max_length=32, help_text="Nigerian number, e.g. 08012345678; stored as E.164.")
    address = serializers.CharField(max_length=500)
    city = serializers.CharField(max_length=100)
    state = serializers.CharField(max_length=100, help_text="One of: " + ", ".join(NIGERIAN_STATES) + " (case-insensitive).")


class OrderCreateSerializer(FieldsBuiltOnceMixin, serializers.Serializer):
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
    payment_method = serializers.ChoiceField(
        choices=PAYMENT_METHODS, required=False, allow_blank=True, default="",
        help_text="The shopper's choice of gateway (informative; the payment records the provider used), or `cod` "
                  "to pay on delivery (needs `cod_code`).",
    )
    cod_code = serializers.CharField(
        max_length=12, required=False, allow_blank=True, default="",
        help_text="Pay on delivery: the 6-digit code sent to shipping_address.phone by `POST /api/orders/cod/send-code/`.",
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


class CheckoutCreateSerializer(OrderCreateSerializer):
    items = OrderItemInputSerializer(
        many=True, allow_empty=False, max_length=MAX_ORDER_LINES,
        help_text=f"1…{MAX_ORDER_LINES} lines, from any suppliers of the store: one order per supplier is created.",
    )


class OrderStatusUpdateSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=OrderStatus.values)
    notes = serializers.CharField(max_length=MAX_NOTES_LENGTH, required=False, allow_blank=True, default="")
    tracking_number = serializers.CharField(max_length=100, required=False, allow_blank=True, default="",
                                            help_text="Required when status is `shipped`.")
    cash_collected = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, required=False, allow_null=True, default=None,
        help_text="Pay on delivery: required with `delivered` — the cash collected at the door, exactly the total.")


class CodSendCodeSerializer(serializers.Serializer):
    phone = serializers.CharField(max_length=32, help_text="The shipping phone, e.g. 08012345678.")


class CodCodeSentSerializer(serializers.Serializer):
    """The 202 of ``POST /api/orders/cod/send-code/``: never the code, only where it went and until when."""

    message = serializers.CharField(help_text="Code sent.")
    phone = serializers.CharField(help_text="The last four digits of the phone, e.g. `…4567`.")
    expires_at = serializers.DateTimeField(help_text="The code works until then (10 minutes, 5 tries).")


class OrderListFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=OrderStatus.values, required=False)
    date_from = serializers.DateField(required=False, help_text="YYYY-MM-DD (Lagos time, inclusive)")
    date_to = serializers.DateField(required=False, help_text="YYYY-MM-DD (Lagos time, inclusive)")
    payment_method = serializers.ChoiceField(choices=PAYMENT_METHODS, required=False, help_text="e.g. `cod`")
    refused = serializers.BooleanField(required=False, allow_null=True, default=None,
                                       help_text="Pay on delivery: only parcels refused at the door (true) or not (false)")

    def validate(self, attrs):
        if attrs.get("date_from") and attrs.get("date_to") and attrs["date_from"] > attrs["date_to"]:
            raise serializers.ValidationError({"date_to": ["Must not be before date_from."]})
        return attrs


# --- output: one serializer per audience (SPEC §5 "What each role sees"), chosen in `order_serializer_for` ----
#
#   customer      items at the prices paid, shipping, total, statuses, tracking, the store. Never the
#                 supplier's identity, base prices, markup or commission.
#   supplier      base prices and its own share; never the entrepreneur's markup or commission (nor the
#                 store prices and total they could be derived from).
#   entrepreneur  everything about its sale, with its markup and commission.
#   admin         everything.


class CustomerOrderItemSerializer(PlannedRepresentationMixin, FieldsBuiltOnceMixin, serializers.ModelSerializer):
    product_id = serializers.IntegerField(read_only=True)
    variation_id = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = OrderItem
        fields = ["id", "product_id", "variation_id", "product_name", "product_sku", "quantity", "unit_price",
                  "total_price"]
        read_only_fields = fields


class SupplierOrderItemSerializer(CustomerOrderItemSerializer):
    """A line as its supplier sees it: what to pack, at the supplier's base price."""

    class Meta(CustomerOrderItemSerializer.Meta):
        fields = ["id", "product_id", "variation_id", "product_name", "product_sku", "quantity", "base_price"]
        read_only_fields = fields


class OrderItemSerializer(CustomerOrderItemSerializer):
    class Meta(CustomerOrderItemSerializer.Meta):
        fields = ["id", "product_id", "variation_id", "product_name", "product_sku", "quantity", "unit_price",
                  "base_price", "markup_amount", "commission_amount", "total_price"]
        read_only_fields = fields


class CustomerStatusHistorySerializer(PlannedRepresentationMixin, FieldsBuiltOnceMixin, serializers.ModelSerializer):
    class Meta:
        model = OrderStatusHistory
        fields = ["id", "previous_status", "status", "notes", "created_at"]
        read_only_fields = fields


class OrderStatusHistorySerializer(CustomerStatusHistorySerializer):
    created_by = serializers.SerializerMethodField()

    class Meta(CustomerStatusHistorySerializer.Meta):
        fields = ["id", "previous_status", "status", "notes", "created_by", "created_at"]
        read_only_fields = fields

    def get_created_by(self, obj) -> dict | None:
        user = obj.created_by
        return {"id": user.pk, "username": user.username, "user_type": user.user_type} if user else None


class _PartySerializer(PlannedRepresentationMixin, serializers.Serializer):
    id = serializers.IntegerField()


class CustomerSummarySerializer(_PartySerializer):
    username = serializers.CharField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()


class EntrepreneurSummarySerializer(_PartySerializer):
    business_name = serializers.CharField()
    custom_url = serializers.CharField()


class StoreSummarySerializer(PlannedRepresentationMixin, serializers.Serializer):
    business_name = serializers.CharField()
    custom_url = serializers.CharField()


class SupplierSummarySerializer(_PartySerializer):
    company_name = serializers.CharField()


_ORDER_COMMON = [
    "id", "order_id", "checkout_id", "status", "payment_status", "payment_method", "shipping_fee",
    "shipping_address", "tracking_number", "notes", "source_channel", "reserved_until", "paid_at", "shipped_at",
    "delivered_at", "cancelled_at", "created_at", "updated_at", "allowed_transitions", "cash_collected",
    "cod_refused_at",
]


class _OrderBaseSerializer(PlannedRepresentationMixin, FieldsBuiltOnceMixin, serializers.ModelSerializer):
    checkout_id = serializers.SerializerMethodField()
    allowed_transitions = serializers.SerializerMethodField()
    # What a list's page query joins (``orders.api``); an audience that shows less narrows it.
    related = ORDER_RELATED

    def get_checkout_id(self, obj) -> str | None:
        """The checkout this order is a parcel of (``CHK…``), or null."""
        return obj.checkout.checkout_id if obj.checkout_id else None

    def get_allowed_transitions(self, obj) -> list[str]:
        """The statuses the table allows next (``paid`` is reached only through a payment)."""
        return [s for s in obj.allowed_transitions() if s != OrderStatus.PAID]


class CustomerOrderSerializer(_OrderBaseSerializer):
    """The shopper's view: what was bought at what price, the store, delivery — no supplier, no split."""

    store = StoreSummarySerializer(source="entrepreneur", read_only=True)
    items_total = serializers.SerializerMethodField()
    items = CustomerOrderItemSerializer(many=True, read_only=True)
    status_history = CustomerStatusHistorySerializer(many=True, read_only=True)

    class Meta:
        model = Order
        fields = [*_ORDER_COMMON, "store", "items_total", "total_amount", "items", "status_history"]
        read_only_fields = fields

    def get_items_total(self, obj) -> str:
        """What the items cost at the store's prices (total − shipping)."""
        return str(obj.total_amount - obj.shipping_fee)


class SupplierOrderSerializer(_OrderBaseSerializer):
    """The supplier's view: base prices and its own share — not the store's markup or commission."""

    customer = CustomerSummarySerializer(read_only=True)
    store = StoreSummarySerializer(source="entrepreneur", read_only=True)
    supplier = SupplierSummarySerializer(read_only=True)
    supplier_share = serializers.SerializerMethodField()
    items = SupplierOrderItemSerializer(many=True, read_only=True)
    status_history = OrderStatusHistorySerializer(many=True, read_only=True)

    class Meta:
        model = Order
        fields = [*_ORDER_COMMON, "customer", "store", "supplier", "subtotal", "supplier_share", "items",
                  "status_history"]
        read_only_fields = fields

    def get_supplier_share(self, obj) -> str:
        """subtotal − the platform's commission on it (SPEC §6.5), at the rate the order was priced with — what the
        payment books to the supplier's wallet."""
        return str(supplier_share(subtotal=obj.subtotal, supplier_commission_rate=obj.platform_rate))


class OrderSerializer(_OrderBaseSerializer):
    """Admins' (and the entrepreneur's own) full view of an order."""

    customer = CustomerSummarySerializer(read_only=True)
    entrepreneur = EntrepreneurSummarySerializer(read_only=True)
    supplier = SupplierSummarySerializer(read_only=True)
    items = OrderItemSerializer(many=True, read_only=True)
    status_history = OrderStatusHistorySerializer(many=True, read_only=True)

    class Meta:
        model = Order
        fields = [
            "id", "order_id", "checkout_id", "customer", "entrepreneur", "supplier", "status", "payment_status",
            "payment_method", "subtotal", "markup_amount", "commission_amount", "shipping_fee", "total_amount",
            "shipping_address", "tracking_number", "notes", "source_channel", "reserved_until", "paid_at",
            "shipped_at", "delivered_at", "cancelled_at", "created_at", "updated_at", "allowed_transitions",
            "cash_collected", "cod_refused_at", "items", "status_history",
        ]
        read_only_fields = fields


class EntrepreneurOrderSerializer(OrderSerializer):
    """The entrepreneur's view: its sale in full, with its markup and commission."""


AdminOrderSerializer = OrderSerializer

# Lists carry each order without its items and history (those stay on the detail route), so a page costs
# one query for the orders and nothing per order (SPEC §5: a fixed number of queries whatever the page size).
_DETAIL_ONLY = ("items", "status_history")


def _list_fields(serializer: type[serializers.ModelSerializer]) -> list[str]:
    return [name for name in serializer.Meta.fields if name not in _DETAIL_ONLY]


class CustomerOrderListSerializer(CustomerOrderSerializer):
    """An order in the customer's list: the detail's fields without `items` and `status_history`."""

    items = None
    status_history = None
    # What the list's page query joins (the list route reads nothing else): the store and the checkout's id.
    # The customer is the reader; the supplier is not shown. Fewer joins: ≈ 2.5 → 0.6 ms of planning a page.
    related = ("entrepreneur", "checkout")

    class Meta(CustomerOrderSerializer.Meta):
        fields = _list_fields(CustomerOrderSerializer)
        read_only_fields = fields


class SupplierOrderListSerializer(SupplierOrderSerializer):
    """An order in the supplier's list: the detail's fields without `items` and `status_history`."""

    items = None
    status_history = None

    class Meta(SupplierOrderSerializer.Meta):
        fields = _list_fields(SupplierOrderSerializer)
        read_only_fields = fields


class OrderListSerializer(OrderSerializer):
    """An order in the entrepreneur's or an admin's list: the detail's fields without `items` and
    `status_history`."""

    items = None
    status_history = None

    class Meta(OrderSerializer.Meta):
        fields = _list_fields(OrderSerializer)
        read_only_fields = fields


def order_list_serializer_for(user) -> type[serializers.ModelSerializer]:
    """The list counterpart of ``order_serializer_for``: same audience rules, no per-order nesting."""
    return {
        AdminOrderSerializer: OrderListSerializer,
        EntrepreneurOrderSerializer: OrderListSerializer,
        SupplierOrderSerializer: SupplierOrderListSerializer,
        CustomerOrderSerializer: CustomerOrderListSerializer,
    }[order_serializer_for(user)]


def order_serializer_for(user) -> type[serializers.ModelSerializer]:
    """The one place that decides which view of an order a user gets."""
    if is_admin(user):
        return AdminOrderSerializer
    if has_role(user, "entrepreneur"):
        return EntrepreneurOrderSerializer
    if has_role(user, "supplier"):
        return SupplierOrderSerializer
    return CustomerOrderSerializer


class CheckoutSerializer(PlannedRepresentationMixin, FieldsBuiltOnceMixin, serializers.ModelSerializer):
    """The customer's view of a checkout (SPEC §5.1). ``subtotal`` is the items at the store's prices."""

    status = serializers.CharField(read_only=True, help_text="pending | paid | partially_cancelled | cancelled")
    store = StoreSummarySerializer(source="entrepreneur", read_only=True)
    orders = CustomerOrderSerializer(many=True, read_only=True)

    class Meta:
        model = Checkout
        fields = ["id", "checkout_id", "status", "store", "orders", "subtotal", "shipping_fee", "total_amount",
                  "payment_method", "reserved_until", "created_at"]
        read_only_fields = fields


class AdminCheckoutSerializer(CheckoutSerializer):
    customer = CustomerSummarySerializer(read_only=True)
    entrepreneur = EntrepreneurSummarySerializer(read_only=True)
    orders = AdminOrderSerializer(many=True, read_only=True)

    class Meta(CheckoutSerializer.Meta):
        fields = ["id", "checkout_id", "status", "customer", "entrepreneur", "orders", "subtotal", "shipping_fee",
                  "total_amount", "payment_method", "reserved_until", "created_at", "updated_at"]
        read_only_fields = fields


def checkout_serializer_for(user) -> type[serializers.ModelSerializer]:
    return AdminCheckoutSerializer if is_admin(user) else CheckoutSerializer


class OrderStatusUpdateResponseSerializer(serializers.Serializer):
    message = serializers.CharField()
    order = OrderSerializer()

