"""The supplier dashboard (SPEC §4 `GET /api/suppliers/profiles/dashboard/`): products and orders of one supplier.

It lives here, above orders and products, because it reads both; the suppliers app below them cannot.
"""
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum

from core.money import ZERO, quantize
from orders.models import Order, OrderItem, OrderStatus, PaymentStatus
from payments.ledger import supplier_revenue
from payments.models import Wallet
from products.models import Product

RECENT_ORDERS = 5
TOP_PRODUCTS = 5


def supplier_dashboard(*, supplier) -> dict[str, Any]:
    """SPEC §4 / §6.8 supplier dashboard figures in seven queries, whatever the number of products or orders.

    ``total_revenue`` is the supplier's own share of its paid orders, from the ledger
    (``payments.ledger.supplier_revenue``: the share ``orders.pricing.supplier_share`` posted at payment,
    net of cancel/return reversals) — not what the customer paid. ``pending_balance``, ``available_balance``
    and ``total_withdrawn`` are its wallet's. ``completed_orders`` are delivered ones. ``top_products`` ranks
    by quantity sold in paid orders.
    """
    product_counts = Product.objects.filter(supplier=supplier).aggregate(
        total=Count("id"), active=Count("id", filter=Q(is_active=True))
    )
    orders = Order.objects.filter(supplier=supplier)
    order_figures = orders.aggregate(
        total=Count("id"),
        pending=Count("id", filter=Q(status=OrderStatus.PENDING)),
        completed=Count("id", filter=Q(status=OrderStatus.DELIVERED)),
    )
    by_status = {status: 0 for status in OrderStatus.values}
    for row in orders.order_by().values("status").annotate(count=Count("id")):
        by_status[row["status"]] = row["count"]

    recent = list(
        orders.order_by("-created_at", "-id").values(
            "id", "order_id", "status", "payment_status", "subtotal", "total_amount", "created_at"
        )[:RECENT_ORDERS]
    )
    top = list(
        OrderItem.objects.filter(order__supplier=supplier, order__payment_status=PaymentStatus.PAID)
        .values("product_id", "product__name", "product__sku")
        .annotate(quantity_sold=Sum("quantity"), revenue=Sum("total_price"))
        .order_by("-quantity_sold", "product_id")[:TOP_PRODUCTS]
    )
    wallet = Wallet.objects.filter(user_id=supplier.user_id).first() or Wallet()
    return {
        "total_products": product_counts["total"] or 0,
        "active_products": product_counts["active"] or 0,
        "total_orders": order_figures["total"] or 0,
        "total_revenue": supplier_revenue(user_id=supplier.user_id),
        "pending_balance": quantize(wallet.pending_balance or ZERO),
        "available_balance": quantize(wallet.balance or ZERO),
        "total_withdrawn": quantize(wallet.total_withdrawn or ZERO),
        "pending_orders": order_figures["pending"] or 0,
        "completed_orders": order_figures["completed"] or 0,
        "orders_by_status": by_status,
        "recent_orders": recent,
        "top_products": [
            {"product_id": row["product_id"], "name": row["product__name"], "sku": row["product__sku"],
             "quantity_sold": row["quantity_sold"] or 0, "revenue": row["revenue"] or Decimal("0.00")}
            for row in top
        ],
        "verification_status": supplier.verification_status,
        "performance_rating": supplier.performance_rating,
    }
