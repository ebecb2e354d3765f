from django.contrib import admin

from .models import SupplierProfile, SupplierVerificationLog


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
                    "performance_rating", "is_active", "created_at")
    list_filter = ("verification_status", "is_active")
    search_fields = ("company_name", "business_registration", "contact_person", "email", "user__username")
    readonly_fields = ("verified_at", "verified_by", "created_at", "updated_at")
    raw_id_fields = ("user",)
    inlines = [VerificationLogInline]


@admin.register(SupplierVerificationLog)
class SupplierVerificationLogAdmin(admin.ModelAdmin):
    list_display = ("supplier", "status", "decided_by", "created_at")
    list_filter = ("status",)
    search_fields = ("supplier__company_name", "notes")
    readonly_fields = ("supplier", "status", "notes", "decided_by", "created_at")
