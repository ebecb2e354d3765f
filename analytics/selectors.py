"""Analytics reads: dashboard metrics and rollup figures from a fixed number of aggregate queries.

Every figure is computed with GROUP BY in the database (never one query per day or per product), and
days are Africa/Lagos calendar days (``TruncDate(..., tzinfo=Africa/Lagos)``).

"Orders" and "revenue" count orders whose payment_status is ``paid`` (a refunded order drops out),
dated by when they were placed (``created_at``).
"""
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from core.dates import LAGOS
from core.money import HUNDRED, ZERO, quantize
from orders.models import COD, Order, OrderItem, PaymentStatus
from social.channels import ShareChannel

from .models import AnalyticsEvent, DailyMetrics

MIN_DAYS = 1
MAX_DAYS = 365
TOP_PRODUCTS_LIMIT = 5
DIRECT_CHANNEL = "direct"
CHANNELS = (*ShareChannel.values, DIRECT_CHANNEL)

_E = AnalyticsEvent.EventType

# Per-event-type counters: (metric name, event type).
_EVENT_COUNTERS = (
    ("storefront_views", _E.STOREFRONT_VIEW),
    ("product_views", _E.PRODUCT_VIEW),
    ("social_shares", _E.PRODUCT_SHARE),
    ("link_clicks", _E.LINK_CLICK),
    ("add_to_cart", _E.ADD_TO_CART),
    ("checkouts", _E.CHECKOUT),
)
EVENT_METRICS = (*(name for name, _ in _EVENT_COUNTERS), "unique_visitors")
ORDER_METRICS = ("orders", "revenue", "earnings", "base_sales")
ROLLUP_METRICS = (*EVENT_METRICS, *ORDER_METRICS, "items_sold")


# --- Time ---------------------------------------------------------------------------------------

def lagos_today() -> date:
    return timezone.now().astimezone(LAGOS).date()


def lagos_day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=LAGOS)


@dataclass(frozen=True)
class Window:
    """Whole Africa/Lagos days from ``first_day`` to ``last_day`` inclusive."""

    first_day: date
    last_day: date

    @classmethod
    def last_days(cls, days: int, *, today: date | None = None) -> "Window":
        """The ``days`` days ending today (today included)."""
        today = today or lagos_today()
        return cls(first_day=today - timedelta(days=days - 1), last_day=today)

    @property
    def start(self) -> datetime:
        return lagos_day_start(self.first_day)

    @property
    def end(self) -> datetime:
        """Exclusive: midnight at the start of the day after ``last_day``."""
        return lagos_day_start(self.last_day + timedelta(days=1))

    def dates(self) -> list[date]:
        count = (self.last_day - self.first_day).days + 1
        return [self.first_day + timedelta(days=offset) for offset in range(count)]


# --- Aggregation helpers (shared by dashboards and the rollup) ------------------------------------

def _event_aggregates() -> dict:
    aggregates = {name: Count("id", filter=Q(event_type=event_type)) for name, event_type in _EVENT_COUNTERS}
    aggregates["unique_visitors"] = Count("visitor_id", distinct=True, filter=~Q(visitor_id=""))
    return aggregates


def _order_aggregates() -> dict:
    return {
        "orders": Count("id"),
        "revenue": Sum("total_amount"),
        "earnings": Sum(F("markup_amount") + F("commission_amount")),
        "base_sales": Sum("subtotal"),
        # Pay on delivery: a COD order is paid (and counted) once the supplier records the cash.
        "cod_revenue": Sum("total_amount", filter=Q(payment_method=COD)),
    }


def _money(value) -> Decimal:
    return quantize(value) if value is not None else ZERO


def _events_in(events: QuerySet, window: Window) -> QuerySet:
    return events.filter(timestamp__gte=window.start, timestamp__lt=window.end)


def _paid_orders_in(orders: QuerySet, window: Window) -> QuerySet:
    return orders.filter(payment_status=PaymentStatus.PAID, created_at__gte=window.start, created_at__lt=window.end)


def _paid_items_in(items: QuerySet, window: Window) -> QuerySet:
    return items.filter(
        order__payment_status=PaymentStatus.PAID, order__created_at__gte=window.start, order__created_at__lt=window.end
    )


def _top_products(items: QuerySet, limit: int = TOP_PRODUCTS_LIMIT) -> list[dict]:
    rows = (
        items.values("product_id", "product__name", "product__slug")
        .annotate(quantity_sold=Sum("quantity"), revenue=Sum("total_price"), order_count=Count("order_id", distinct=True))
        .order_by("-revenue", "-quantity_sold", "product_id")[:limit]
    )
    return [
        {
            "product_id": row["product_id"], "name": row["product__name"], "slug": row["product__slug"],
            "quantity_sold": row["quantity_sold"] or 0, "revenue": _money(row["revenue"]),
            "order_count": row["order_count"],
        }
        for row in rows
    ]


def _revenue_by_channel(orders: QuerySet) -> list[dict]:
    """Orders and revenue per share channel; every channel present, blank ``source_channel`` = "direct"."""
    found = {
        row["source_channel"] or DIRECT_CHANNEL: row
        for row in orders.values("source_channel").annotate(n=Count("id"), revenue=Sum("total_amount")).order_by()
    }
    result = [
        {"channel": channel, "orders": found[channel]["n"] if channel in found else 0,
         "revenue": _money(found[channel]["revenue"]) if channel in found else ZERO}
        for channel in CHANNELS
    ]
    result.sort(key=lambda row: (-row["revenue"], -row["orders"], CHANNELS.index(row["channel"])))
    return result


def _daily_breakdown(events: QuerySet, orders: QuerySet, window: Window) -> list[dict]:
    """One entry per day of the window (zeros included), from two GROUP BY queries."""
    event_days = {
        row["day"]: row
        for row in events.annotate(day=TruncDate("timestamp", tzinfo=LAGOS)).values("day").annotate(
            views=Count("id", filter=Q(event_type=_E.STOREFRONT_VIEW)),
            product_views=Count("id", filter=Q(event_type=_E.PRODUCT_VIEW)),
            shares=Count("id", filter=Q(event_type=_E.PRODUCT_SHARE)),
            unique_visitors=Count("visitor_id", distinct=True, filter=~Q(visitor_id="")),
        ).order_by()
    }
    order_days = {
        row["day"]: row
        for row in orders.annotate(day=TruncDate("created_at", tzinfo=LAGOS)).values("day").annotate(
            n=Count("id"), revenue=Sum("total_amount"),
        ).order_by()
    }
    breakdown = []
    for day in window.dates():
        ev = event_days.get(day, {})
        od = order_days.get(day, {})
        breakdown.append({
            "date": day,
            "views": ev.get("views", 0),
            "product_views": ev.get("product_views", 0),
            "unique_visitors": ev.get("unique_visitors", 0),
            "shares": ev.get("shares", 0),
            "orders": od.get("n", 0),
            "revenue": _money(od.get("revenue")),
        })
    return breakdown


def _conversion_rate(orders: int, visitors: int) -> Decimal:
    """Orders per 100 unique visitors, 2 places; 0 when nobody visited."""
    if not visitors:
        return ZERO
    return quantize(Decimal(orders) * HUNDRED / Decimal(visitors))


def _dashboard(*, events: QuerySet, orders: QuerySet, items: QuerySet, window: Window) -> dict:
    """The shared body of every dashboard: seven aggregate queries whatever the window length."""
    events = _events_in(events, window)
    orders = _paid_orders_in(orders, window)
    items = _paid_items_in(items, window)

    event_totals = events.aggregate(**_event_aggregates())
    order_totals = orders.aggregate(**_order_aggregates())
    items_sold = items.aggregate(n=Sum("quantity"))["n"] or 0
    revenue = _money(order_totals["revenue"])
    order_count = order_totals["orders"]
    return {
        "days": len(window.dates()),
        "start_date": window.first_day,
        "end_date": window.last_day,
        "product_views": event_totals["product_views"],
        "unique_visitors": event_totals["unique_visitors"],
        "social_shares": event_totals["social_shares"],
        "link_clicks": event_totals["link_clicks"],
        "total_orders": order_count,
        "total_revenue": revenue,
        "cod_revenue": _money(order_totals["cod_revenue"]),
        "total_items_sold": items_sold,
        "average_order_value": quantize(revenue / order_count) if order_count else ZERO,
        "conversion_rate": _conversion_rate(order_count, event_totals["unique_visitors"]),
        "top_products": _top_products(items),
        "revenue_by_channel": _revenue_by_channel(orders),
        "daily_breakdown": _daily_breakdown(events, orders, window),
        # Extra figures the role-specific selectors pick from.
        "_storefront_views": event_totals["storefront_views"],
        "_earnings": _money(order_totals["earnings"]),
        "_base_sales": _money(order_totals["base_sales"]),
    }


# --- Dashboards ---------------------------------------------------------------------------------

def entrepreneur_metrics(*, entrepreneur, days: int = 30, today: date | None = None) -> dict:
    """SPEC §8 entrepreneur analytics for the last ``days`` Africa/Lagos days (today included)."""
    window = Window.last_days(days, today=today)
    data = _dashboard(
        events=AnalyticsEvent.objects.filter(entrepreneur=entrepreneur),
        orders=Order.objects.filter(entrepreneur=entrepreneur),
        items=OrderItem.objects.filter(order__entrepreneur=entrepreneur),
        window=window,
    )
    data["total_views"] = data.pop("_storefront_views")
    data["total_earnings"] = data.pop("_earnings")  # markup + commission on the paid orders
    data.pop("_base_sales")
    return data


def supplier_metrics(*, supplier, days: int = 30, today: date | None = None) -> dict:
    """The same figures for a supplier: its products' views and shares, its paid orders."""
    window = Window.last_days(days, today=today)
    data = _dashboard(
        events=AnalyticsEvent.objects.filter(product__supplier=supplier),
        orders=Order.objects.filter(supplier=supplier),
        items=OrderItem.objects.filter(order__supplier=supplier),
        window=window,
    )
    data.pop("_storefront_views")
    data.pop("_earnings")
    data["total_base_sales"] = data.pop("_base_sales")  # Σ subtotal: the goods at the supplier's base prices
    return data


# --- Rollup -------------------------------------------------------------------------------------

def metrics_rows_for_day(*, day: date) -> dict[tuple[str, int, str], Decimal]:
    """``{(entity_type, entity_id, metric_type): value}`` for one Lagos day.

    Entrepreneurs and suppliers with any event or paid order that day get every metric in
    ``ROLLUP_METRICS`` (zeros included); the platform (entity_id 0) always does. Nine GROUP BY /
    aggregate queries, whatever the number of entities.
    """
    window = Window(first_day=day, last_day=day)
    events = _events_in(AnalyticsEvent.objects.all(), window)
    orders = _paid_orders_in(Order.objects.all(), window)
    items = _paid_items_in(OrderItem.objects.all(), window)
    entity = DailyMetrics.EntityType
    figures: dict[tuple[str, int], dict] = defaultdict(dict)

    grouped = (
        (entity.ENTREPRENEUR, events.filter(entrepreneur__isnull=False), "entrepreneur_id", _event_aggregates),
        (entity.SUPPLIER, events.filter(product__isnull=False), "product__supplier_id", _event_aggregates),
        (entity.ENTREPRENEUR, orders, "entrepreneur_id", _order_aggregates),
        (entity.SUPPLIER, orders, "supplier_id", _order_aggregates),
        (entity.ENTREPRENEUR, items, "order__entrepreneur_id", lambda: {"items_sold": Sum("quantity")}),
        (entity.SUPPLIER, items, "order__supplier_id", lambda: {"items_sold": Sum("quantity")}),
    )
    for entity_type, queryset, key, aggregates in grouped:
        for row in queryset.values(entity_id=F(key)).annotate(**aggregates()).order_by():
            entity_id = row.pop("entity_id")
            figures[(entity_type, entity_id)].update(row)

    platform = figures[(entity.PLATFORM, 0)]
    platform.update(events.aggregate(**_event_aggregates()))
    platform.update(orders.aggregate(**_order_aggregates()))
    platform.update(items.aggregate(items_sold=Sum("quantity")))

    rows: dict[tuple[str, int, str], Decimal] = {}
    for (entity_type, entity_id), values in figures.items():
        for metric in ROLLUP_METRICS:
            value = values.get(metric)
            rows[(str(entity_type), entity_id, metric)] = _money(value) if value is not None else ZERO
    return rows
