from django.contrib import admin

from .models import EntrepreneurStorefront, StoreProduct


class StoreProductInline(admin.TabularInline):
    model = StoreProduct
    extra = 0
    raw_id_fields = ("product",)
    fields = ("product", "selling_price", "is_featured", "position", "is_active")


@admin.register(EntrepreneurStorefront)
class EntrepreneurStorefrontAdmin(admin.ModelAdmin):
    list_display = ("entrepreneur", "theme", "is_published", "cod_enabled", "cod_max_order_value", "created_at")
    list_filter = ("is_published", "theme", "cod_enabled")
    search_fields = ("entrepreneur__business_name", "entrepreneur__custom_url", "seo_title")
    list_select_related = ("entrepreneur",)
    raw_id_fields = ("entrepreneur",)
    readonly_fields = ("created_at", "updated_at")
    inlines = [StoreProductInline]


@admin.register(StoreProduct)
class StoreProductAdmin(admin.ModelAdmin):
    list_display = ("product", "storefront", "selling_price", "is_featured", "position", "is_active")
    list_filter = ("is_featured", "is_active")
    search_fields = ("product__name", "product__sku", "storefront__entrepreneur__custom_url")
    list_select_related = ("product", "storefront__entrepreneur")
    raw_id_fields = ("product", "storefront")
    readonly_fields = ("created_at", "updated_at")
