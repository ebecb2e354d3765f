from decimal import Decimal

from django.conf import settings
from django.db import models

from core.models import TimeStampedModel

_MONEY = {"max_digits": 14, "decimal_places": 2}


class Provider(models.TextChoices):
    PAYSTACK = "paystack", "Paystack"
    FLUTTERWAVE = "flutterwave", "Flutterwave"
    SANDBOX = "sandbox", "Sandbox"


class PaymentMethod(TimeStampedModel):
    class MethodType(models.TextChoices):
        BANK_TRANSFER = "bank_transfer", "Bank transfer"
        CRYPTO = "crypto", "Crypto"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="payment_methods")
    method_type = models.CharField(max_length=20, choices=MethodType.choices)
    provider = models.CharField(max_length=50, blank=True)
    details = models.JSONField(default=dict)
    is_default = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["-is_default", "-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=models.Q(is_default=True, is_active=True), name="one_default_payment_method"
            ),
        ]

    def __str__(self):
        return f"{self.get_method_type_display()} of {self.user_id}"


class Transaction(TimeStampedModel):
    class TransactionType(models.TextChoices):
        PAYMENT = "payment", "Payment"
        REFUND = "refund", "Refund"
        PAYOUT = "payout", "Payout"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"
        REVERSED = "reversed", "Reversed"

    transaction_id = models.CharField(max_length=64, unique=True)  # our reference, sent to the gateway
    order = models.ForeignKey("orders.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="transactions")
    # A payment for a whole checkout (SPEC §5.1) has ``checkout`` set and no ``order``: one charge pays
    # every order of it. Its refunds point at the order they refund (and carry the checkout too).
    checkout = models.ForeignKey("orders.Checkout", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="transactions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="transactions")
    transaction_type = models.CharField(max_length=20, choices=TransactionType.choices, default=TransactionType.PAYMENT)
    amount = models.DecimalField(**_MONEY)
    currency = models.CharField(max_length=3, default="NGN")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True)
    provider = models.CharField(max_length=20, choices=Provider.choices)
    provider_reference = models.CharField(max_length=128, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    # Set when the gateway's verified amount/currency/status disagreed with the order: admin must look.
    flagged = models.BooleanField(default=False, db_index=True)
    flag_reason = models.TextField(blank=True)
    withdrawal = models.ForeignKey(
        "payments.WithdrawalRequest", null=True, blank=True, on_delete=models.PROTECT, related_name="transactions"
    )
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="transaction_amount_gte_0"),
            models.UniqueConstraint(
                fields=["provider", "provider_reference"],
                condition=~models.Q(provider_reference=""),
                name="transaction_provider_reference_unique",
            ),
        ]

    def __str__(self):
        return f"{self.transaction_type} {self.transaction_id} ({self.status})"


class Earnings(TimeStampedModel):
    class EarningType(models.TextChoices):
        MARKUP = "markup", "Markup"
        COMMISSION = "commission", "Commission"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PAID = "paid", "Paid"
        CANCELLED = "cancelled", "Cancelled"

    entrepreneur = models.ForeignKey(
        "entrepreneurs.EntrepreneurProfile", on_delete=models.PROTECT, related_name="earnings"
    )
    # No index of its own: the (order, earning_type) unique constraint's index leads with it.
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="earnings", db_index=False)
    earning_type = models.CharField(max_length=20, choices=EarningType.choices)
    amount = models.DecimalField(**_MONEY)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True)
    payout_date = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "earnings"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "earning_type"], name="earnings_one_per_order_and_type"),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="earnings_amount_gte_0"),
        ]

    def __str__(self):
        return f"{self.earning_type} ₦{self.amount} on {self.order_id} ({self.status})"


class Wallet(TimeStampedModel):
    """Cached wallet figures. The ledger is the truth; ``audit_ledger`` proves these equal its sums.

    An entrepreneur's wallet holds its earnings; a supplier's its share of its paid orders (SPEC §6.8).
    ``balance`` may go negative: a supplier's by what it owes for cash on delivery it holds (SPEC §10), anyone's
    when a share already released is taken back on a cancel or return (SPEC §6.3) while it sits in a withdrawal;
    withdrawals wait until it is positive again (``withdrawal_create``, under the wallet's row lock, never takes
    more than the balance). Every other figure is ≥ 0.
    """

    class Kind(models.TextChoices):
        ENTREPRENEUR = "entrepreneur", "Entrepreneur"
        SUPPLIER = "supplier", "Supplier"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="wallet")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.ENTREPRENEUR)
    balance = models.DecimalField(**_MONEY, default=Decimal("0.00"))
    pending_balance = models.DecimalField(**_MONEY, default=Decimal("0.00"))
    total_earned = models.DecimalField(**_MONEY, default=Decimal("0.00"))
    total_withdrawn = models.DecimalField(**_MONEY, default=Decimal("0.00"))
    currency = models.CharField(max_length=3, default="NGN")

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(pending_balance__gte=0), name="wallet_pending_gte_0"),
            models.CheckConstraint(condition=models.Q(total_earned__gte=0), name="wallet_total_earned_gte_0"),
            models.CheckConstraint(condition=models.Q(total_withdrawn__gte=0), name="wallet_total_withdrawn_gte_0"),
        ]

    def __str__(self):
        return f"Wallet of {self.user_id}: ₦{self.balance} (+₦{self.pending_balance} pending)"


class WithdrawalRequest(TimeStampedModel):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        PROCESSING = "processing", "Processing"
        # Paystack answered the transfer with "otp": an admin finalizes it with the OTP (Django admin action).
        OTP_REQUIRED = "otp_required", "OTP required"
        COMPLETED = "completed", "Completed"
        REJECTED = "rejected", "Rejected"
        FAILED = "failed", "Failed"

    # The owner: an entrepreneur or a supplier user (SPEC §6.8). ``entrepreneur`` is set for entrepreneurs'
    # withdrawals (as before suppliers could withdraw), null for suppliers'.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="withdrawals")
    entrepreneur = models.ForeignKey(
        "entrepreneurs.EntrepreneurProfile", null=True, blank=True, on_delete=models.PROTECT, related_name="withdrawals"
    )
    payment_method = models.ForeignKey(PaymentMethod, on_delete=models.PROTECT, related_name="withdrawals")
    amount = models.DecimalField(**_MONEY)
    processing_fee = models.DecimalField(**_MONEY)
    net_amount = models.DecimalField(**_MONEY)
    withdrawal_method = models.CharField(max_length=20, default="bank_transfer")
    destination_details = models.JSONField(default=dict)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True)
    reference_id = models.CharField(max_length=64, unique=True)
    transfer_code = models.CharField(max_length=64, blank=True)
    recipient_code = models.CharField(max_length=64, blank=True)
    failure_reason = models.TextField(blank=True)
    admin_notes = models.TextField(blank=True)
    processed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    processed_at = models.DateTimeField(null=True, blank=True)
    # When ``payouts_check`` last verified the transfer (not ``updated_at``, which reconciliation's resend of a
    # transfer Paystack never got goes by): the least recently checked go first, so transfers that stay pending at
    # Paystack (a bank's outage) take turns with the others instead of filling every run.
    checked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gte=1000), name="withdrawal_amount_min_1000"),
            models.CheckConstraint(condition=models.Q(processing_fee__gte=0), name="withdrawal_fee_gte_0"),
            models.CheckConstraint(condition=models.Q(net_amount__gt=0), name="withdrawal_net_gt_0"),
        ]

    def save(self, *args, **kwargs):
        if self.user_id is None and self.entrepreneur_id is not None:  # callers that still name the entrepreneur
            self.user_id = self.entrepreneur.user_id
        super().save(*args, **kwargs)

    def __str__(self):
        return f"{self.reference_id}: ₦{self.amount} ({self.status})"


class WithdrawalStatusHistory(models.Model):
    withdrawal = models.ForeignKey(WithdrawalRequest, on_delete=models.CASCADE, related_name="status_history")
    status = models.CharField(max_length=20, choices=WithdrawalRequest.Status.choices)
    previous_status = models.CharField(max_length=20, blank=True)
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "withdrawal status history"

    def __str__(self):
        return f"{self.withdrawal_id}: → {self.status}"


class WebhookEvent(models.Model):
    """Every webhook delivery we accepted; ``(provider, event_key)`` is unique so replays are no-ops."""

    provider = models.CharField(max_length=20, choices=Provider.choices)
    event_key = models.CharField(max_length=200)
    event_type = models.CharField(max_length=100)
    reference = models.CharField(max_length=128, blank=True, db_index=True)
    payload = models.JSONField(default=dict)
    processed_at = models.DateTimeField(null=True, blank=True)
    result = models.CharField(max_length=200, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_key"], name="webhook_event_unique"),
        ]

    def __str__(self):
        return f"{self.provider} {self.event_type} {self.reference}"


class AppendOnlyError(Exception):
    """Raised when code tries to change or delete a ledger row: the ledger is append-only."""


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("Ledger rows are immutable; post a new journal entry instead.")

    def delete(self):
        raise AppendOnlyError("Ledger rows are immutable; post a new journal entry instead.")


class AppendOnlyModel(models.Model):
    """Rows are written once (insert) and never updated or deleted through the ORM."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError(f"{type(self).__name__} rows are immutable.")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(f"{type(self).__name__} rows are immutable.")


class LedgerAccount(models.TextChoices):
    GATEWAY_CLEARING = "gateway_clearing", "Gateway clearing"
    ENTREPRENEUR_PENDING = "entrepreneur_pending", "Entrepreneur pending"
    ENTREPRENEUR_AVAILABLE = "entrepreneur_available", "Entrepreneur available"
    # A supplier's share of its paid orders not yet released (= its Wallet.pending_balance), then available.
    SUPPLIER_PAYABLE = "supplier_payable", "Supplier payable (pending)"
    SUPPLIER_AVAILABLE = "supplier_available", "Supplier available"
    # Pay on delivery (SPEC §10): the cash a supplier's courier collected at the door, held by the supplier. It
    # is netted against the supplier's available balance in the same journal, so per supplier it sums to zero.
    SUPPLIER_CASH = "supplier_cash", "Cash held by suppliers (pay on delivery)"
    PLATFORM_REVENUE = "platform_revenue", "Platform revenue"
    PAYOUTS_IN_FLIGHT = "payouts_in_flight", "Payouts in flight"
    # Money owed back to customers (a cancelled/returned paid order, a payment for an order no longer
    # payable) until the gateway says the refund is done.
    REFUNDS_DUE = "refunds_due", "Refunds due to customers"


class JournalEntry(AppendOnlyModel):
    """One balanced group of ledger lines: the sum of its lines' amounts is zero. Append-only."""

    class EntryType(models.TextChoices):
        PAYMENT = "payment", "Payment received"
        RELEASE = "release", "Earnings released"
        # The supplier's share of a delivered order, on the same clock: supplier_payable → supplier_available.
        SUPPLIER_RELEASE = "supplier_release", "Supplier share released"
        # Pay on delivery: the supplier recorded the cash; a sale journal like "payment" (SPEC §10).
        COD_COLLECTED = "cod_collected", "Cash collected on delivery"
        REVERSAL = "reversal", "Reversal (cancel/return)"
        WITHDRAWAL_HOLD = "withdrawal_hold", "Withdrawal hold"
        WITHDRAWAL_RELEASE = "withdrawal_release", "Withdrawal returned"
        PAYOUT_COMPLETED = "payout_completed", "Payout completed"
        PAYOUT_FAILED = "payout_failed", "Payout failed"
        # The bank sent a completed payout back: the completion is undone (funds return by a payout_failed).
        PAYOUT_REVERSED = "payout_reversed", "Payout reversed by the bank"
        # The gateway says a refund is done: refunds_due → gateway clearing (money out).
        REFUND = "refund", "Refund returned to the customer"
        # A payment confirmed for an order no longer payable: gateway clearing → refunds_due, refunded at once.
        LATE_PAYMENT = "late_payment", "Payment for an order no longer payable"

    entry_type = models.CharField(max_length=30, choices=EntryType.choices)
    # e.g. "payment:PAY20261126ABCDEF12" — a retry that would post twice hits this unique key instead.
    idempotency_key = models.CharField(max_length=200, unique=True)
    description = models.CharField(max_length=255, blank=True)
    order = models.ForeignKey("orders.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="journal_entries")
    withdrawal = models.ForeignKey(
        WithdrawalRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="journal_entries"
    )
    transaction = models.ForeignKey(
        Transaction, null=True, blank=True, on_delete=models.PROTECT, related_name="journal_entries"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "journal entries"

    def __str__(self):
        return f"{self.entry_type} {self.idempotency_key}"


class LedgerEntry(AppendOnlyModel):
    """One line of a journal entry. Positive amounts increase the account, negative decrease it."""

    journal = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="lines")
    account = models.CharField(max_length=30, choices=LedgerAccount.choices, db_index=True)
    # The owner of the sub-account (entrepreneur user, supplier user); null for platform accounts. No index of its
    # own: the (user, account) index leads with it.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_entries",
        db_index=False,
    )
    amount = models.DecimalField(**_MONEY)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "ledger entries"
        indexes = [models.Index(fields=["user", "account"])]
        constraints = [
            models.CheckConstraint(condition=~models.Q(amount=0), name="ledger_entry_amount_nonzero"),
        ]

    def __str__(self):
        return f"{self.account} {self.amount:+}"
