from django.contrib import admin

from .models import Order, OrderItem, OrderStatusHistory

MONEY_FIELDS = ("subtotal", "markup_amount", "commission_amount", "shipping_fee", "total_amount")


class OrderItemInline(admin.TabularInline):
    model = OrderItem
    extra = 0
    can_delete = False
    readonly_fields = ("product", "variation", "product_name", "product_sku", "quantity", "unit_price", "base_price",
                       "markup_amount", "commission_amount", "total_price")

    def has_add_permission(self, request, obj=None):
        return False


class StatusHistoryInline(admin.TabularInline):
    model = OrderStatusHistory
    extra = 0
    can_delete = False
    readonly_fields = ("previous_status", "status", "notes", "created_by", "created_at")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("order_id", "customer", "entrepreneur", "supplier", "status", "payment_status", "total_amount",
                    "source_channel", "created_at")
    list_filter = ("status", "payment_status", "source_channel")
    search_fields = ("order_id", "customer__username", "customer__email", "entrepreneur__custom_url",
                     "supplier__company_name", "tracking_number")
    list_select_related = ("customer", "entrepreneur", "supplier")
    readonly_fields = ("order_id", "customer", "entrepreneur", "supplier", "status", "payment_status",
                       *MONEY_FIELDS, "reserved_until", "stock_released_at", "paid_at", "shipped_at",
                       "delivered_at", "cancelled_at", "created_at", "updated_at")
    inlines = [OrderItemInline, StatusHistoryInline]
    date_hierarchy = "created_at"
