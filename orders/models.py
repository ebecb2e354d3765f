from decimal import Decimal

from django.conf import settings
from django.db import models

from core.models import TimeStampedModel
from social.channels import ShareChannel


class OrderStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PAID = "paid", "Paid"
    PROCESSING = "processing", "Processing"
    SHIPPED = "shipped", "Shipped"
    DELIVERED = "delivered", "Delivered"
    CANCELLED = "cancelled", "Cancelled"
    RETURNED = "returned", "Returned"


class PaymentStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PAID = "paid", "Paid"
    FAILED = "failed", "Failed"
    REFUNDED = "refunded", "Refunded"


# The channel an order came from is the channel its link was shared on: the one enum lives in social.
SourceChannel = ShareChannel


# The status machine (SPEC §5) as data: status → statuses it may move to.
ORDER_TRANSITIONS: dict[str, tuple[str, ...]] = {
    OrderStatus.PENDING: (OrderStatus.PAID, OrderStatus.CANCELLED),
    OrderStatus.PAID: (OrderStatus.PROCESSING, OrderStatus.CANCELLED),
    OrderStatus.PROCESSING: (OrderStatus.SHIPPED, OrderStatus.CANCELLED),
    OrderStatus.SHIPPED: (OrderStatus.DELIVERED, OrderStatus.RETURNED),
    OrderStatus.DELIVERED: (OrderStatus.RETURNED,),
    OrderStatus.CANCELLED: (),
    OrderStatus.RETURNED: (),
}

# Pay on delivery (SPEC §10): no payment before shipping; the supplier's courier collects the cash on delivery
# (``cash_collected``, which also makes the order paid) or the shopper refuses the parcel at the door (returned).
# A delivered COD order is final here: its cash is with the supplier, so a later return is settled by hand.
COD = "cod"
COD_ORDER_TRANSITIONS: dict[str, tuple[str, ...]] = {
    OrderStatus.PENDING: (OrderStatus.PROCESSING, OrderStatus.CANCELLED),
    OrderStatus.PROCESSING: (OrderStatus.SHIPPED, OrderStatus.CANCELLED),
    OrderStatus.SHIPPED: (OrderStatus.DELIVERED, OrderStatus.RETURNED),
    OrderStatus.DELIVERED: (),
    OrderStatus.CANCELLED: (),
    OrderStatus.RETURNED: (),
}
# A COD order still on its way to the shopper: it counts against the phone's open COD orders.
COD_OPEN_STATUSES = (OrderStatus.PENDING, OrderStatus.PROCESSING, OrderStatus.SHIPPED)

_MONEY = {"max_digits": 14, "decimal_places": 2}


class CheckoutStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PAID = "paid", "Paid"
    PARTIALLY_CANCELLED = "partially_cancelled", "Partially cancelled"
    CANCELLED = "cancelled", "Cancelled"


# Orders in these statuses gave (or will give) their money back: they count as cancelled in a checkout.
_UNDONE = frozenset({OrderStatus.CANCELLED, OrderStatus.RETURNED})


class Checkout(TimeStampedModel):
    """One cart of one store, split into one order per supplier (SPEC §5.1), paid with one payment.

    The money fields are the sums of its orders at creation; ``status`` is derived from the orders.
    """

    checkout_id = models.CharField(max_length=24, unique=True, editable=False)
    customer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="checkouts")
    entrepreneur = models.ForeignKey(
        "entrepreneurs.EntrepreneurProfile", on_delete=models.PROTECT, related_name="checkouts"
    )
    subtotal = models.DecimalField(**_MONEY)
    shipping_fee = models.DecimalField(**_MONEY)
    total_amount = models.DecimalField(**_MONEY)
    payment_method = models.CharField(max_length=30, blank=True)
    reserved_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["customer", "-created_at"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(subtotal__gte=0), name="checkout_subtotal_gte_0"),
            models.CheckConstraint(condition=models.Q(shipping_fee__gte=0), name="checkout_shipping_fee_gte_0"),
            models.CheckConstraint(condition=models.Q(total_amount__gte=0), name="checkout_total_gte_0"),
        ]

    def __str__(self):
        return self.checkout_id

    @property
    def status(self) -> str:
        """pending | paid | partially_cancelled | cancelled, from its orders (prefetch ``orders`` for lists)."""
        return checkout_status_of(list(self.orders.all()))


def checkout_status_of(orders) -> str:
    if not orders:
        return CheckoutStatus.PENDING
    undone = sum(1 for order in orders if order.status in _UNDONE)
    if undone == len(orders):
        return CheckoutStatus.CANCELLED
    if undone:
        return CheckoutStatus.PARTIALLY_CANCELLED
    if all(order.paid_at is not None for order in orders):
        return CheckoutStatus.PAID
    return CheckoutStatus.PENDING


class Order(TimeStampedModel):
    order_id = models.CharField(max_length=24, unique=True, editable=False)
    # Customer, entrepreneur and supplier have no index of their own: each leads one of the (…, -created_at) indexes
    # of Meta, which answer their lists and the PROTECT checks (every index here is written by every order placed
    # and, a status being indexed, by every status change).
    customer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders",
                                 db_index=False)
    entrepreneur = models.ForeignKey(
        "entrepreneurs.EntrepreneurProfile", on_delete=models.PROTECT, related_name="orders", db_index=False
    )
    supplier = models.ForeignKey("suppliers.SupplierProfile", on_delete=models.PROTECT, related_name="orders",
                                 db_index=False)
    # The checkout this order is one parcel of (None for an order placed on its own).
    checkout = models.ForeignKey(Checkout, null=True, blank=True, on_delete=models.PROTECT, related_name="orders")
    status = models.CharField(max_length=20, choices=OrderStatus.choices, default=OrderStatus.PENDING, db_index=True)
    subtotal = models.DecimalField(**_MONEY)
    markup_amount = models.DecimalField(**_MONEY)
    commission_amount = models.DecimalField(**_MONEY)
    # The supplier's commission rate (the platform's take, percent) the order was priced with — its commission cap
    # at placement, its money split at payment (SPEC §6.5): fixed here, so an admin changing the supplier's rate
    # while the order is unpaid, or after, never splits it with a rate it was not priced with. Null only for an order
    # placed by code older than the column (a deploy's old workers): ``platform_rate`` then reads the supplier's.
    supplier_commission_rate = models.DecimalField(max_digits=5, decimal_places=2, null=True, editable=False)
    shipping_fee = models.DecimalField(**_MONEY, default=Decimal("0.00"))
    total_amount = models.DecimalField(**_MONEY)
    payment_status = models.CharField(
        max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.PENDING, db_index=True
    )
    payment_method = models.CharField(max_length=30, blank=True)
    shipping_address = models.JSONField(default=dict)
    tracking_number = models.CharField(max_length=100, blank=True)
    notes = models.TextField(blank=True)
    source_channel = models.CharField(max_length=20, choices=ShareChannel.choices, blank=True)
    reserved_until = models.DateTimeField(null=True, blank=True, db_index=True)
    # Set once when the reserved stock goes back to the shelf, so a second cancel never restocks twice.
    stock_released_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True, db_index=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # Pay on delivery: the confirmed phone (E.164) the order counts against, the cash the supplier recorded at the
    # door (the exact total), and when the shopper refused the parcel (shipped → returned).
    cod_phone = models.CharField(max_length=20, blank=True, db_index=True)
    cash_collected = models.DecimalField(**_MONEY, null=True, blank=True)
    cod_refused_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-created_at"]),
            models.Index(fields=["entrepreneur", "-created_at"]),
            models.Index(fields=["supplier", "-created_at"]),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(subtotal__gte=0), name="order_subtotal_gte_0"),
            models.CheckConstraint(condition=models.Q(markup_amount__gte=0), name="order_markup_gte_0"),
            models.CheckConstraint(condition=models.Q(commission_amount__gte=0), name="order_commission_gte_0"),
            models.CheckConstraint(condition=models.Q(shipping_fee__gte=0), name="order_shipping_fee_gte_0"),
            models.CheckConstraint(condition=models.Q(total_amount__gte=0), name="order_total_gte_0"),
            models.CheckConstraint(
                condition=models.Q(supplier_commission_rate__isnull=True)
                | models.Q(supplier_commission_rate__gte=0, supplier_commission_rate__lte=50),
                name="order_supplier_commission_rate_range",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=[s.value for s in OrderStatus]), name="order_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(payment_status__in=[s.value for s in PaymentStatus]),
                name="order_payment_status_valid",
            ),
            models.CheckConstraint(condition=models.Q(cash_collected__isnull=True) | models.Q(cash_collected__gte=0),
                                   name="order_cash_collected_gte_0"),
        ]

    def __str__(self):
        return self.order_id

    @property
    def platform_rate(self) -> Decimal:
        """The supplier commission rate this order's money is split with: the one it was priced with
        (``supplier_commission_rate``), or — for an order placed before that was kept — its supplier's."""
        rate = self.supplier_commission_rate
        return rate if rate is not None else self.supplier.commission_rate

    @property
    def is_cod(self) -> bool:
        return self.payment_method == COD

    def allowed_transitions(self) -> tuple[str, ...]:
        table = COD_ORDER_TRANSITIONS if self.is_cod else ORDER_TRANSITIONS
        return table.get(self.status, ())

    def can_transition_to(self, status: str) -> bool:
        return status in self.allowed_transitions()


class OrderItem(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey("products.Product", on_delete=models.PROTECT, related_name="order_items")
    variation = models.ForeignKey(
        "products.ProductVariation", null=True, blank=True, on_delete=models.PROTECT, related_name="order_items"
    )
    product_name = models.CharField(max_length=300)
    product_sku = models.CharField(max_length=64)
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(**_MONEY)
    base_price = models.DecimalField(**_MONEY)
    markup_amount = models.DecimalField(**_MONEY)
    commission_amount = models.DecimalField(**_MONEY)
    total_price = models.DecimalField(**_MONEY)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gte=1), name="order_item_quantity_gte_1"),
            models.CheckConstraint(condition=models.Q(unit_price__gte=0), name="order_item_unit_price_gte_0"),
            models.CheckConstraint(condition=models.Q(base_price__gte=0), name="order_item_base_price_gte_0"),
            models.CheckConstraint(condition=models.Q(markup_amount__gte=0), name="order_item_markup_gte_0"),
            models.CheckConstraint(condition=models.Q(commission_amount__gte=0), name="order_item_commission_gte_0"),
            models.CheckConstraint(condition=models.Q(total_price__gte=0), name="order_item_total_gte_0"),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.product_name}"


class OrderStatusHistory(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="status_history")
    status = models.CharField(max_length=20, choices=OrderStatus.choices)
    previous_status = models.CharField(max_length=20, choices=OrderStatus.choices, blank=True)
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "order status history"

    def __str__(self):
        return f"{self.order_id}: {self.previous_status or '—'} → {self.status}"


class CodPhoneCode(models.Model):
    """A 6-digit code sent by SMS to confirm a pay-on-delivery shopper's phone (SPEC §10).

    Only a salted hash of the code is stored. It lives ``COD_CODE_TTL_MINUTES`` (10), allows
    ``COD_CODE_MAX_ATTEMPTS`` (5) wrong guesses, and is used once: ``used_at`` is set by the order that
    consumed it, in that order's transaction (so a placement that fails leaves the code usable).
    Sending a new code for a phone retires the older ones.
    """

    phone = models.CharField(max_length=20, db_index=True)
    code_hash = models.CharField(max_length=128)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["phone", "-created_at"])]

    def __str__(self):
        return f"COD code for …{self.phone[-4:]}"
