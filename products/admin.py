from django import forms
from django.contrib import admin, messages

from core.errors import ApplicationError
from products.caching import invalidate_products

from . import stock
from .models import Category, InventoryAdjustment, Product, ProductImage, ProductVariation
from .visibility import catalog_visibility_refresh


class StockForm(forms.ModelForm):
    """Stock is never a plain field here: an admin sets a counted quantity or adjusts it by ± units, and
    ``products.stock`` writes it under the row lock and records it (``stock_quantity`` itself is read-only)."""

    set_stock_to = forms.IntegerField(required=False, min_value=0,
                                      help_text="A stock count: the new absolute quantity (recorded).")
    adjust_stock_by = forms.IntegerField(required=False, help_text="Units received (+) or written off (−), "
                                         "recorded; orders placed meanwhile are kept.")
    stock_reason = forms.CharField(required=False, max_length=200)

    def clean(self):
        data = super().clean()
        if data.get("adjust_stock_by") == 0:
            data["adjust_stock_by"] = None
        if data.get("set_stock_to") is not None and data.get("adjust_stock_by") is not None:
            raise forms.ValidationError("Either set the stock or adjust it, not both.")
        return data


class StockAdminMixin:
    """Saves only the fields the form changed, so a stale ``stock_quantity`` loaded with the page can never
    overwrite units reserved since; then applies the form's stock change through ``products.stock``."""

    form = StockForm

    def save_model(self, request, obj, form, change):
        if change:
            names = {field.name for field in obj._meta.concrete_fields} - {"stock_quantity"}
            changed = [name for name in form.changed_data if name in names]
            if changed:
                obj.save(update_fields=[*changed, "updated_at"])
        else:
            obj.save()
        product_id, variation_id = (obj.product_id, obj.pk) if isinstance(obj, ProductVariation) else (obj.pk, None)
        data = form.cleaned_data
        reason = data.get("stock_reason") or "admin"
        try:
            if data.get("set_stock_to") is not None:
                stock.stock_set(product_id=product_id, variation_id=variation_id, quantity=data["set_stock_to"],
                                reason=reason, actor=request.user)
            elif data.get("adjust_stock_by") is not None:
                stock.stock_adjust(product_id=product_id, variation_id=variation_id, delta=data["adjust_stock_by"],
                                   reason=reason, actor=request.user)
        except ApplicationError as exc:
            self.message_user(request, f"Stock not changed: {exc.message}", level=messages.ERROR)


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
    # Stock changes go through products.stock (the variation's own admin page) so that they are recorded.
    readonly_fields = ("stock_quantity",)


class ImageInline(admin.TabularInline):
    model = ProductImage
    extra = 0
    fields = ("image", "alt_text", "is_primary", "position")
    readonly_fields = ("image",)

    def has_add_permission(self, request, obj=None):
        return False  # uploads go through the API, which validates and converts images


@admin.register(Product)
class ProductAdmin(StockAdminMixin, admin.ModelAdmin):
    list_display = ("name", "sku", "supplier", "category", "base_price", "stock_quantity", "is_active", "created_at")
    list_filter = ("is_active", "category", "supplier__verification_status")
    search_fields = ("name", "sku", "description", "supplier__company_name")
    list_select_related = ("supplier", "category")
    raw_id_fields = ("supplier",)
    readonly_fields = ("stock_quantity", "created_at", "updated_at")
    inlines = [VariationInline, ImageInline]
    actions = ["deactivate_products", "activate_products"]

    def save_formset(self, request, form, formset, change):
        """Inline rows are saved field by field too (a whole-row save would write back a stale stock)."""
        formset.save(commit=False)
        for obj in formset.deleted_objects:
            obj.delete()
        for obj in formset.new_objects:
            obj.save()
        for obj, changed in formset.changed_objects:
            obj.save(update_fields=[*changed, "updated_at"])

    def _set_active(self, request, queryset, active: bool) -> None:
        ids = list(queryset.values_list("pk", flat=True))
        updated = queryset.update(is_active=active)
        catalog_visibility_refresh(product_ids=ids)  # .update() bypasses Product.save()
        invalidate_products(ids)  # .update() sends no signals (products/caching.py)
        self.message_user(request, f"{updated} product(s) {'activated' if active else 'deactivated'}.")

    @admin.action(description="Deactivate selected products (hidden from catalog and storefronts)")
    def deactivate_products(self, request, queryset):
        self._set_active(request, queryset, False)

    @admin.action(description="Activate selected products")
    def activate_products(self, request, queryset):
        self._set_active(request, queryset, True)


@admin.register(ProductVariation)
class ProductVariationAdmin(StockAdminMixin, admin.ModelAdmin):
    list_display = ("name", "sku", "product", "price_modifier", "stock_quantity", "is_active")
    readonly_fields = ("stock_quantity",)
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
