from django.contrib import admin

from .caching import invalidate_products
from .models import Category, InventoryAdjustment, Product, ProductImage, ProductVariation


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "parent", "is_active")
    list_select_related = ("parent",)
    list_filter = ("is_active",)
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


class VariationInline(admin.TabularInline):
    model = ProductVariation
    extra = 0
    # Stock changes go through update_inventory so that they are recorded.
    readonly_fields = ("stock_quantity",)


class ImageInline(admin.TabularInline):
    model = ProductImage
    extra = 0
    fields = ("image", "alt_text", "is_primary", "position")
    readonly_fields = ("image",)

    def has_add_permission(self, request, obj=None):
        return False  # uploads go through the API, which validates and converts images


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("name", "sku", "supplier", "category", "base_price", "stock_quantity", "is_active", "created_at")
    list_filter = ("is_active", "category", "supplier__verification_status")
    search_fields = ("name", "sku", "description", "supplier__company_name")
    list_select_related = ("supplier", "category")
    raw_id_fields = ("supplier",)
    readonly_fields = ("stock_quantity", "created_at", "updated_at")
    inlines = [VariationInline, ImageInline]
    actions = ["deactivate_products", "activate_products"]

    @admin.action(description="Deactivate selected products (hidden from catalog and storefronts)")
    def deactivate_products(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        updated = queryset.update(is_active=False)
        invalidate_products(ids)  # .update() sends no signals (products/caching.py)
        self.message_user(request, f"{updated} product(s) deactivated.")

    @admin.action(description="Activate selected products")
    def activate_products(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        updated = queryset.update(is_active=True)
        invalidate_products(ids)  # .update() sends no signals (products/caching.py)
        self.message_user(request, f"{updated} product(s) activated.")


@admin.register(ProductVariation)
class ProductVariationAdmin(admin.ModelAdmin):
    list_display = ("name", "sku", "product", "price_modifier", "stock_quantity", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "sku", "product__name")
    raw_id_fields = ("product",)


@admin.register(ProductImage)
class ProductImageAdmin(admin.ModelAdmin):
    list_display = ("id", "product", "is_primary", "position", "created_at")
    list_select_related = ("product",)
    readonly_fields = ("image",)

    def has_add_permission(self, request):
        return False  # uploads go through the API, which validates and converts images
    list_filter = ("is_primary",)
    search_fields = ("product__name", "alt_text")
    raw_id_fields = ("product",)


@admin.register(InventoryAdjustment)
class InventoryAdjustmentAdmin(admin.ModelAdmin):
    list_display = ("product", "variation", "previous_quantity", "new_quantity", "reason", "created_by", "created_at")
    search_fields = ("product__name", "product__sku", "reason")
    readonly_fields = ("product", "variation", "previous_quantity", "new_quantity", "reason", "created_by",
                       "created_at")
    list_select_related = ("product", "variation", "created_by")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
