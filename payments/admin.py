from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path

from core.admin_columns import created
from core.errors import ApplicationError

from . import attention, services
from .models import (
    Earnings,
    JournalEntry,
    LedgerEntry,
    PaymentMethod,
    Transaction,
    Wallet,
    WebhookEvent,
    WithdrawalRequest,
    WithdrawalStatusHistory,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PaymentMethod)
class PaymentMethodAdmin(admin.ModelAdmin):
    list_display = ("user", "method_type", "provider", "is_default", "is_active", "created_at")
    list_filter = ("method_type", "is_default", "is_active")
    search_fields = ("user__username", "user__email", "provider")
    raw_id_fields = ("user",)


@admin.register(Transaction)
class TransactionAdmin(ReadOnlyAdmin):
    # Few, short columns: status and amount stay on screen at 1366 px (the order and user are on the detail page).
    list_display = ("transaction_id", "transaction_type", "status", "amount", created)
    list_filter = ("flagged", "transaction_type", "provider", "status")
    search_fields = ("transaction_id", "provider_reference", "order__order_id", "checkout__checkout_id",
                     "user__username")
    actions = ["retry_refund"]

    def get_urls(self):
        view = self.admin_site.admin_view(self.needs_attention_view)
        return [path("needs-attention/", view, name="payments_needs_attention"), *super().get_urls()]

    def needs_attention_view(self, request):
        """Flagged payments, withdrawals waiting for an OTP and failed refunds, each with its action."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        return TemplateResponse(request, "admin/payments/needs_attention.html", {
            **self.admin_site.each_context(request), "title": "Needs attention", "opts": self.model._meta,
            "flagged_payments": attention.flagged_payments()[:200],
            "otp_withdrawals": attention.withdrawals_awaiting_otp()[:200],
            "failed_refunds": attention.failed_refunds()[:200],
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        })

    @admin.action(description="Retry refund (failed refunds; checks the gateway's refunds first)")
    def retry_refund(self, request, queryset):
        for refund in queryset.filter(transaction_type=Transaction.TransactionType.REFUND).order_by("pk"):
            try:
                result = services.refund_retry(refund_id=refund.pk, admin=request.user)
            except ApplicationError as exc:
                self.message_user(request, f"{refund.transaction_id}: {exc.message}", level=messages.ERROR)
                continue
            self.message_user(request, f"{refund.transaction_id}: refund {result.status}.", level=messages.SUCCESS)


@admin.register(Earnings)
class EarningsAdmin(ReadOnlyAdmin):
    list_display = ("entrepreneur", "order", "earning_type", "amount", "status", "payout_date", "created_at")
    list_filter = ("earning_type", "status")
    search_fields = ("entrepreneur__custom_url", "order__order_id")


@admin.register(Wallet)
class WalletAdmin(ReadOnlyAdmin):
    list_display = ("user", "kind", "balance", "pending_balance", "total_earned", "total_withdrawn", "currency")
    list_filter = ("kind",)
    search_fields = ("user__username", "user__email")
    list_select_related = ("user",)


class WithdrawalHistoryInline(admin.TabularInline):
    model = WithdrawalStatusHistory
    extra = 0
    can_delete = False
    readonly_fields = ("previous_status", "status", "notes", "created_by", "created_at")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WithdrawalRequest)
class WithdrawalRequestAdmin(admin.ModelAdmin):
    list_display = ("reference_id", "owner", "amount", "status", created)
    list_filter = ("status",)
    search_fields = ("reference_id", "user__username", "entrepreneur__custom_url", "user__supplier_profile__company_name",
                     "transfer_code")
    list_select_related = ("user__supplier_profile", "entrepreneur")
    readonly_fields = ("user", "entrepreneur", "payment_method", "amount", "processing_fee", "net_amount",
                       "withdrawal_method", "destination_details", "status", "reference_id", "transfer_code",
                       "recipient_code", "failure_reason", "processed_by", "processed_at", "checked_at", "created_at",
                       "updated_at")
    inlines = [WithdrawalHistoryInline]
    actions = ["approve_selected", "reject_selected", "finalize_with_otp", "resend_otp"]

    def has_add_permission(self, request):
        return False  # requested by entrepreneurs and suppliers through the API (balance checks, ledger hold)

    @admin.display(description="Owner", ordering="user__username")
    def owner(self, obj):
        """Entrepreneur (their store) or supplier (its company) — SPEC §6.8."""
        if obj.entrepreneur_id is not None:
            return f"Entrepreneur: {obj.entrepreneur.custom_url}"
        profile = getattr(obj.user, "supplier_profile", None)
        return f"Supplier: {profile.company_name if profile else obj.user.username}"

    def has_delete_permission(self, request, obj=None):
        return False

    def _decide(self, request, queryset, service, verb):
        done = 0
        for withdrawal in queryset.order_by("pk"):
            try:
                service(withdrawal_id=withdrawal.pk, admin=request.user, notes=f"{verb} in admin")
                done += 1
            except ApplicationError as exc:
                self.message_user(request, f"{withdrawal.reference_id}: {exc.message}", level=messages.ERROR)
        if done:
            self.message_user(request, f"{done} withdrawal(s) {verb.lower()}.", level=messages.SUCCESS)

    @admin.action(description="Approve selected withdrawals (starts the payout)")
    def approve_selected(self, request, queryset):
        self._decide(request, queryset, services.withdrawal_approve, "Approved")

    @admin.action(description="Reject selected withdrawals (returns the funds)")
    def reject_selected(self, request, queryset):
        self._decide(request, queryset, services.withdrawal_reject, "Rejected")

    def _waiting_for_otp(self, request, queryset) -> list:
        """The selected withdrawals waiting for an OTP (a warning when there is none)."""
        waiting = list(queryset.filter(status=WithdrawalRequest.Status.OTP_REQUIRED).order_by("pk"))
        if not waiting:
            self.message_user(request, "None of the selected withdrawals is waiting for an OTP.", level=messages.WARNING)
        return waiting

    @admin.action(description="Finalize with OTP (withdrawals in otp_required)")
    def finalize_with_otp(self, request, queryset):
        """Asks for the OTP Paystack sent to the business phone, then ``POST /transfer/finalize_transfer``."""
        waiting = self._waiting_for_otp(request, queryset)
        if not waiting:
            return None
        if request.POST.get("otp") is not None and request.POST.get("confirm") == "yes":
            for withdrawal in waiting:
                try:
                    result = services.withdrawal_finalize_otp(withdrawal_id=withdrawal.pk, otp=request.POST["otp"],
                                                              admin=request.user)
                except ApplicationError as exc:
                    self.message_user(request, f"{withdrawal.reference_id}: {exc.message}", level=messages.ERROR)
                    continue
                self.message_user(request, f"{withdrawal.reference_id}: OTP accepted, withdrawal {result.status}.",
                                  level=messages.SUCCESS)
            return None
        return TemplateResponse(request, "admin/payments/finalize_otp.html", {
            **self.admin_site.each_context(request), "title": "Finalize transfers with the OTP",
            "withdrawals": waiting, "opts": self.model._meta,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME, "action": "finalize_with_otp",
        })

    @admin.action(description="Resend OTP (withdrawals in otp_required: Paystack sends a new one)")
    def resend_otp(self, request, queryset):
        """``POST /transfer/resend_otp``: the OTP expired or never reached the business phone; then finalize with it."""
        waiting = self._waiting_for_otp(request, queryset)
        if not waiting:
            return
        for withdrawal in waiting:
            try:
                services.withdrawal_resend_otp(withdrawal_id=withdrawal.pk, admin=request.user)
            except ApplicationError as exc:
                self.message_user(request, f"{withdrawal.reference_id}: {exc.message}", level=messages.ERROR)
                continue
            self.message_user(request, f"{withdrawal.reference_id}: Paystack sent a new OTP to the business phone; "
                              "finalize with it.", level=messages.SUCCESS)


class LedgerLineInline(admin.TabularInline):
    model = LedgerEntry
    extra = 0
    can_delete = False
    readonly_fields = ("account", "user", "amount", "created_at")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(JournalEntry)
class JournalEntryAdmin(ReadOnlyAdmin):
    list_display = ("id", "entry_type", "idempotency_key", "order", "withdrawal", "created_at")
    list_filter = ("entry_type",)
    search_fields = ("idempotency_key", "order__order_id", "withdrawal__reference_id")
    inlines = [LedgerLineInline]


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ("id", "journal", "account", "user", "amount", "created_at")
    list_filter = ("account",)
    search_fields = ("journal__idempotency_key", "user__username")


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ("provider", "event_type", "reference", "result", "received_at", "processed_at")
    list_filter = ("provider", "event_type")
    search_fields = ("reference", "event_key")
