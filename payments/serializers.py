import re

from rest_framework import serializers

from core.validators import validate_redirect_url

from .models import Earnings, PaymentMethod, Provider, Transaction, Wallet, WithdrawalRequest

_ACCOUNT_NUMBER = re.compile(r"[0-9]{10}")  # ASCII digits only (\d also takes other scripts' digits)


class InitializePaymentSerializer(serializers.Serializer):
    order_id = serializers.CharField(max_length=32, required=False, allow_blank=True,
                                     help_text="The order's PAY… order_id or its numeric id.")
    checkout_id = serializers.CharField(
        max_length=32, required=False, allow_blank=True,
        help_text="Instead of order_id: a checkout's CHK… checkout_id or numeric id — one payment for all its orders.")
    provider = serializers.ChoiceField(choices=Provider.choices, default=Provider.PAYSTACK)
    callback_url = serializers.URLField(required=False, allow_blank=True, max_length=500,
                                        validators=[validate_redirect_url],
                                        help_text="Where the gateway returns the shopper: on FRONTEND_URL's or "
                                                  "PUBLIC_BASE_URL's origin (or PAYMENT_CALLBACK_ALLOWED_ORIGINS).")

    def validate(self, attrs):
        if bool(attrs.get("order_id", "").strip()) == bool(attrs.get("checkout_id", "").strip()):
            raise serializers.ValidationError({"order_id": ["Give either order_id or checkout_id."]})
        return attrs


class InitializePaymentResponseSerializer(serializers.Serializer):
    payment_url = serializers.URLField()
    reference = serializers.CharField()
    transaction_id = serializers.CharField()
    provider = serializers.CharField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    currency = serializers.CharField()


class WebhookAckSerializer(serializers.Serializer):
    """What a webhook delivery is answered with (200 for every event we accept, handled or not)."""

    status = serializers.CharField(help_text='Always "ok"')
    result = serializers.CharField(help_text="processed | duplicate | ignored | unknown_reference | error …")


class TransactionSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(source="transaction_id", read_only=True)
    order_id = serializers.CharField(source="order.order_id", read_only=True, default=None, allow_null=True)
    order_status = serializers.CharField(source="order.status", read_only=True, default=None, allow_null=True)
    payment_status = serializers.CharField(source="order.payment_status", read_only=True, default=None, allow_null=True)
    checkout_id = serializers.CharField(source="checkout.checkout_id", read_only=True, default=None, allow_null=True)

    class Meta:
        model = Transaction
        fields = ["id", "transaction_id", "reference", "transaction_type", "provider", "amount", "currency", "status",
                  "flagged", "flag_reason", "order_id", "order_status", "payment_status", "checkout_id", "created_at",
                  "completed_at"]
        read_only_fields = fields


class PaymentMethodSerializer(serializers.ModelSerializer):
    """SPEC §6.7: bank_transfer needs account_number (10 digits), bank_code, account_name;
    crypto needs wallet_address, crypto_type."""

    REQUIRED = {
        PaymentMethod.MethodType.BANK_TRANSFER: ("account_number", "bank_code", "account_name"),
        PaymentMethod.MethodType.CRYPTO: ("wallet_address", "crypto_type"),
    }
    OPTIONAL = {
        PaymentMethod.MethodType.BANK_TRANSFER: ("bank_name",),
        PaymentMethod.MethodType.CRYPTO: ("network",),
    }

    class Meta:
        model = PaymentMethod
        fields = ["id", "method_type", "provider", "details", "is_default", "is_active", "created_at"]
        read_only_fields = ["id", "is_active", "created_at"]

    def validate(self, attrs):
        method_type = attrs.get("method_type", getattr(self.instance, "method_type", None))
        if self.instance is not None and "method_type" in attrs and attrs["method_type"] != self.instance.method_type:
            raise serializers.ValidationError({"method_type": ["The type of a payment method cannot change."]})
        details = attrs.get("details", getattr(self.instance, "details", None))
        if "details" in attrs or self.instance is None:
            attrs["details"] = self._clean_details(method_type, details)
        return attrs

    def _clean_details(self, method_type, details):
        if not isinstance(details, dict):
            raise serializers.ValidationError({"details": ["Must be an object."]})
        errors = {}
        clean = {}
        for key in self.REQUIRED[method_type]:
            value = details.get(key)
            value = value.strip() if isinstance(value, str) else value
            if value in (None, "") or not isinstance(value, str):
                errors[key] = [f"{key} is required for {method_type}."]
            else:
                clean[key] = value
        if method_type == PaymentMethod.MethodType.BANK_TRANSFER and "account_number" in clean:
            if not _ACCOUNT_NUMBER.fullmatch(clean["account_number"]):
                errors["account_number"] = ["Account number must be exactly 10 digits."]
        if method_type == PaymentMethod.MethodType.BANK_TRANSFER and "bank_code" in clean:
            if not re.match(r"^[0-9A-Za-z]{3,10}$", clean["bank_code"]):
                errors["bank_code"] = ["Enter a valid bank code."]
        for key in self.OPTIONAL[method_type]:
            if isinstance(details.get(key), str) and details[key].strip():
                clean[key] = details[key].strip()[:100]
        if errors:
            raise serializers.ValidationError({"details": errors})
        return clean


class WalletSerializer(serializers.ModelSerializer):
    available_balance = serializers.DecimalField(source="balance", max_digits=14, decimal_places=2, read_only=True)
    # null for a wallet that has never moved (not stored yet): found by schemathesis as the demo supplier
    updated_at = serializers.DateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = Wallet
        fields = ["balance", "available_balance", "pending_balance", "total_earned", "total_withdrawn", "currency",
                  "updated_at"]
        read_only_fields = fields


class EarningsSerializer(serializers.ModelSerializer):
    order_id = serializers.CharField(source="order.order_id", read_only=True)
    order = serializers.IntegerField(source="order.id", read_only=True)
    order_status = serializers.CharField(source="order.status", read_only=True)

    class Meta:
        model = Earnings
        fields = ["id", "order", "order_id", "order_status", "earning_type", "amount", "status", "payout_date",
                  "created_at"]
        read_only_fields = fields


class EarningsSummarySerializer(serializers.Serializer):
    available_balance = serializers.DecimalField(max_digits=14, decimal_places=2)
    pending_balance = serializers.DecimalField(max_digits=14, decimal_places=2)
    total_earned = serializers.DecimalField(max_digits=14, decimal_places=2)
    total_withdrawn = serializers.DecimalField(max_digits=14, decimal_places=2)
    total_markup = serializers.DecimalField(max_digits=14, decimal_places=2)
    total_commission = serializers.DecimalField(max_digits=14, decimal_places=2)
    pending_earnings = serializers.DecimalField(max_digits=14, decimal_places=2)
    total_sales = serializers.DecimalField(max_digits=14, decimal_places=2)
    performance_tier = serializers.CharField()
    currency = serializers.CharField()


class WithdrawalCreateSerializer(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    payment_method = serializers.IntegerField(help_text="id of one of your active bank_transfer payment methods")


class WithdrawalSerializer(serializers.ModelSerializer):
    class Meta:
        model = WithdrawalRequest
        fields = ["id", "reference_id", "amount", "processing_fee", "net_amount", "payment_method",
                  "withdrawal_method", "destination_details", "status", "failure_reason", "transfer_code",
                  "processed_at", "created_at"]
        read_only_fields = fields


class WithdrawalDecisionSerializer(serializers.Serializer):
    notes = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class VerifyResponseSerializer(TransactionSerializer):
    pass
