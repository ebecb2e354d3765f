from django.contrib import admin

from .models import EntrepreneurStorefront, StoreProduct


class StoreProductInline(admin.TabularInline):
    model = StoreProduct
    extra = 0
    raw_id_fields = ("product",)


@admin.register(EntrepreneurStorefront)
class EntrepreneurStorefrontAdmin(admin.ModelAdmin):
    list_display = ("entrepreneur", "theme", "is_published", "created_at")
    list_filter = ("is_published", "theme")
    search_fields = ("entrepreneur__business_name", "entrepreneur__custom_url", "seo_title")
    raw_id_fields = ("entrepreneur",)
    inlines = [StoreProductInline]


@admin.register(StoreProduct)
class StoreProductAdmin(admin.ModelAdmin):
    list_display = ("product", "storefront", "selling_price", "is_featured", "position", "is_active")
    list_filter = ("is_featured", "is_active")
    search_fields = ("product__name", "product__sku", "storefront__entrepreneur__custom_url")
    raw_id_fields = ("product", "storefront")
