from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse

from core.errors import ApplicationError

from .models import SupplierProfile, SupplierVerificationLog
from .services import supplier_verify


class VerificationDecisionForm(forms.Form):
    """The admin's reason, typed on the action's own page: stored in the verification log and the
    profile's ``verification_notes``, and sent to the supplier in the verified/rejected message."""

    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 4, "cols": 60}), max_length=2000)

    def __init__(self, *args, required: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = required
        self.fields["reason"].label = "Reason (sent to the supplier)" if required else "Note to the supplier (optional)"


class VerificationLogInline(admin.TabularInline):
    model = SupplierVerificationLog
    extra = 0
    can_delete = False
    readonly_fields = ("status", "notes", "decided_by", "created_at")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(SupplierProfile)
class SupplierProfileAdmin(admin.ModelAdmin):
    list_display = ("company_name", "business_registration", "user", "verification_status", "commission_rate",
                    "performance_rating", "is_active", "accepts_cod", "created_at")
    list_filter = ("verification_status", "is_active", "accepts_cod")
    search_fields = ("company_name", "business_registration", "contact_person", "email", "user__username")
    readonly_fields = ("verified_at", "verified_by", "created_at", "updated_at")
    raw_id_fields = ("user",)
    list_select_related = ("user",)
    inlines = [VerificationLogInline]
    actions = ["verify_suppliers", "reject_suppliers"]

    def get_readonly_fields(self, request, obj=None):
        # Verification goes through the actions (recorded, notified), never by editing the field.
        return (*self.readonly_fields, "verification_status", "verification_notes")

    def _decide(self, request, queryset, status: str, action: str):
        """First the page asking for the reason, then ``suppliers.services.supplier_verify`` per supplier
        (the same service as ``POST /api/suppliers/profiles/<id>/verify/``): logged, supplier notified."""
        rejecting = status == SupplierProfile.VerificationStatus.REJECTED
        form = VerificationDecisionForm(request.POST if "apply" in request.POST else None, required=rejecting)
        if form.is_bound and form.is_valid():
            done = 0
            for supplier in queryset.order_by("pk"):
                try:
                    supplier_verify(supplier_id=supplier.pk, status=status, notes=form.cleaned_data["reason"],
                                    actor=request.user)
                    done += 1
                except ApplicationError as exc:
                    self.message_user(request, f"{supplier.company_name}: {exc.message}", messages.ERROR)
            if done:
                self.message_user(request, f"{done} supplier(s) {status}; the reason was sent to them.",
                                  messages.SUCCESS)
            return None
        return TemplateResponse(request, "admin/suppliers/supplierprofile/decide.html", {
            **self.admin_site.each_context(request), "opts": self.model._meta, "form": form,
            "title": f"{'Reject' if rejecting else 'Verify'} suppliers", "verb": "Reject" if rejecting else "Verify",
            "suppliers": queryset.order_by("pk"), "action": action,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        })

    @admin.action(description="Verify selected suppliers (with a note; recorded, supplier notified)")
    def verify_suppliers(self, request, queryset):
        return self._decide(request, queryset, SupplierProfile.VerificationStatus.VERIFIED, "verify_suppliers")

    @admin.action(description="Reject selected suppliers (with a reason; recorded, supplier notified)")
    def reject_suppliers(self, request, queryset):
        return self._decide(request, queryset, SupplierProfile.VerificationStatus.REJECTED, "reject_suppliers")


@admin.register(SupplierVerificationLog)
class SupplierVerificationLogAdmin(admin.ModelAdmin):
    list_display = ("supplier", "status", "decided_by", "created_at")
    list_filter = ("status",)
    search_fields = ("supplier__company_name", "notes")
    readonly_fields = ("supplier", "status", "notes", "decided_by", "created_at")
    list_select_related = ("supplier", "decided_by")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
