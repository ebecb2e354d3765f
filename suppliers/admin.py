from django.contrib import admin, messages

from .models import SupplierProfile, SupplierVerificationLog
from .services import supplier_verify


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

    def _decide(self, request, queryset, status: str) -> None:
        count = 0
        for supplier_id in queryset.values_list("pk", flat=True):
            supplier_verify(supplier_id=supplier_id, status=status, notes=f"{status} from Django admin",
                            actor=request.user)
            count += 1
        self.message_user(request, f"{count} supplier(s) {status}.", messages.SUCCESS)

    @admin.action(description="Verify selected suppliers (recorded, supplier notified)")
    def verify_suppliers(self, request, queryset):
        self._decide(request, queryset, SupplierProfile.VerificationStatus.VERIFIED)

    @admin.action(description="Reject selected suppliers (recorded, supplier notified)")
    def reject_suppliers(self, request, queryset):
        self._decide(request, queryset, SupplierProfile.VerificationStatus.REJECTED)


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
