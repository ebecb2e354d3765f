from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from .models import User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "email", "phone_number", "user_type", "is_active", "is_staff", "date_joined")
    list_filter = ("user_type", "is_active", "is_staff", "is_superuser")
    search_fields = ("username", "email", "phone_number", "referral_code", "first_name", "last_name")
    readonly_fields = ("referral_code", "date_joined", "last_login", "updated_at")
    raw_id_fields = ("referred_by",)
    fieldsets = DjangoUserAdmin.fieldsets + (
        ("Payjaro", {"fields": ("user_type", "phone_number", "is_phone_verified", "referral_code", "referred_by",
                                "updated_at")}),
    )
    add_fieldsets = DjangoUserAdmin.add_fieldsets + (
        ("Payjaro", {"fields": ("email", "user_type", "phone_number")}),
    )
