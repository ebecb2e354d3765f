from django.contrib import admin

from .models import EntrepreneurProfile


@admin.register(EntrepreneurProfile)
class EntrepreneurProfileAdmin(admin.ModelAdmin):
    list_display = ("business_name", "custom_url", "user", "performance_tier", "commission_rate", "total_sales",
                    "total_earnings", "is_active", "created_at")
    list_filter = ("performance_tier", "is_active")
    search_fields = ("business_name", "custom_url", "user__username", "user__email")
    list_select_related = ("user",)
    # Totals come from the earnings ledger; images only through the upload API (validated, resized, old file removed).
    readonly_fields = ("total_sales", "total_earnings", "profile_image", "banner_image", "created_at", "updated_at")
    raw_id_fields = ("user",)
