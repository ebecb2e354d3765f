from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse

from core.admin_columns import created
from core.errors import ApplicationError

from .models import Checkout, CodPhoneCode, Order, OrderItem, OrderStatus, OrderStatusHistory
from .services import order_transition

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


class ChangeStatusForm(forms.Form):
    """The admin's status change, applied through orders.services.order_transition (never a raw save)."""

    status = forms.ChoiceField(choices=[(s.value, s.label) for s in OrderStatus if s != OrderStatus.PAID],
                               help_text="'Paid' is set only by a confirmed payment.")
    tracking_number = forms.CharField(max_length=100, required=False, help_text="Required for 'Shipped'.")
    cash_collected = forms.DecimalField(max_digits=14, decimal_places=2, min_value=0, required=False,
                                        help_text="Pay on delivery: required for 'Delivered', exactly the order's total.")
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    # Few, short columns: status and amount stay on screen at 1366 px (who and where are on the detail page).
    list_display = ("order_id", "status", "payment", "total", "customer", created)
    list_filter = ("status", "payment_status", "payment_method", "source_channel")
    search_fields = ("order_id", "checkout__checkout_id", "customer__username", "customer__email",
                     "entrepreneur__custom_url", "supplier__company_name", "tracking_number")
    list_select_related = ("customer",)
    readonly_fields = ("order_id", "checkout", "customer", "entrepreneur", "supplier", "status", "payment_status",
                       *MONEY_FIELDS, "reserved_until", "stock_released_at", "paid_at", "shipped_at",
                       "delivered_at", "cancelled_at", "created_at", "updated_at", "tracking_number", "payment_method",
                       "cod_phone", "cash_collected", "cod_refused_at")
    inlines = [OrderItemInline, StatusHistoryInline]
    date_hierarchy = "created_at"
    actions = ["change_status"]

    @admin.display(description="Payment", ordering="payment_status")
    def payment(self, order):
        return order.get_payment_status_display()

    @admin.display(description="Total", ordering="total_amount")
    def total(self, order):
        return order.total_amount

    def has_add_permission(self, request):
        return False  # orders are placed through checkout (orders.services.order_create)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Change status of selected orders", permissions=["change"])
    def change_status(self, request, queryset):
        if "apply" in request.POST:
            form = ChangeStatusForm(request.POST)
            if form.is_valid():
                done, failed = 0, []
                for order in queryset.order_by("pk"):
                    try:
                        order_transition(order_id=order.pk, to_status=form.cleaned_data["status"], actor=request.user,
                                         notes=form.cleaned_data["notes"],
                                         tracking_number=form.cleaned_data["tracking_number"],
                                         cash_collected=form.cleaned_data["cash_collected"])
                        done += 1
                    except ApplicationError as exc:
                        failed.append(f"{order.order_id}: {exc.message}")
                if done:
                    self.message_user(request, f"{done} order(s) moved to {form.cleaned_data['status']}.", messages.SUCCESS)
                for failure in failed:
                    self.message_user(request, failure, messages.ERROR)
                return None
        else:
            form = ChangeStatusForm()
        context = {
            **self.admin_site.each_context(request),
            "title": "Change order status",
            "opts": self.model._meta,
            "orders": queryset,
            "form": form,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/orders/order/change_status.html", context)


class CheckoutOrderInline(admin.TabularInline):
    model = Order
    fk_name = "checkout"
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ("order_id", "supplier", "status", "payment_status", "subtotal", "markup_amount", "commission_amount",
              "shipping_fee", "total_amount", "tracking_number")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Checkout)
class CheckoutAdmin(admin.ModelAdmin):
    """Read-only: a checkout is created by the checkout service and changes only through its orders."""

    list_display = ("checkout_id", "customer", "entrepreneur", "checkout_status", "order_count", "total_amount",
                    "created_at")
    search_fields = ("checkout_id", "customer__username", "customer__email", "entrepreneur__custom_url",
                     "orders__order_id")
    list_select_related = ("customer", "entrepreneur")
    readonly_fields = ("checkout_id", "customer", "entrepreneur", "checkout_status", "subtotal", "shipping_fee",
                       "total_amount", "payment_method", "reserved_until", "created_at", "updated_at")
    fields = readonly_fields
    inlines = [CheckoutOrderInline]
    date_hierarchy = "created_at"

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("orders")

    @admin.display(description="status")
    def checkout_status(self, obj):
        return obj.status

    @admin.display(description="orders")
    def order_count(self, obj):
        return len(obj.orders.all())

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CodPhoneCode)
class CodPhoneCodeAdmin(admin.ModelAdmin):
    """Pay-on-delivery phone codes, read-only (only a hash of each code is stored): for support questions."""

    list_display = ("phone", "created_at", "expires_at", "attempts", "used_at", "retired_at")
    search_fields = ("phone",)
    readonly_fields = ("phone", "expires_at", "attempts", "used_at", "retired_at", "created_at")
    exclude = ("code_hash",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
