"""DailyMetrics rollup: per entrepreneur, supplier and platform; Lagos days; idempotent."""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from analytics.models import DailyMetrics
from analytics.selectors import ROLLUP_METRICS, lagos_day_start, lagos_today
from analytics.tasks import rollup_daily_metrics
from orders.models import Order, PaymentStatus
from tests.factories import EntrepreneurFactory, ProductFactory, SupplierFactory

from .factories import add_events, make_order

pytestmark = pytest.mark.django_db


def metrics(entity_type, entity_id, day):
    rows = DailyMetrics.objects.filter(date=day, entity_type=entity_type, entity_id=entity_id)
    return {row.metric_type: row.value for row in rows}


@pytest.fixture
def day():
    return lagos_today() - timedelta(days=1)


@pytest.fixture
def activity(day):
    start = lagos_day_start(day)
    supplier, other_supplier = SupplierFactory(), SupplierFactory()
    shop, other_shop = EntrepreneurFactory(), EntrepreneurFactory()
    p1 = ProductFactory(supplier=supplier, base_price=Decimal("1000.00"))
    p2 = ProductFactory(supplier=other_supplier, base_price=Decimal("2000.00"))
    add_events("storefront_view", at=start + timedelta(hours=12), visitors=["v1", "v2"], entrepreneur=shop)
    # 00:30 Lagos is 23:30 UTC the day before: it belongs to `day`.
    add_events("product_view", at=start + timedelta(minutes=30), visitors=["v1"], entrepreneur=shop, product=p1)
    # Midnight at the end of the day belongs to the next day; one second before it does not.
    add_events("storefront_view", at=start + timedelta(days=1), visitors=["late"], entrepreneur=shop)
    add_events("storefront_view", at=start - timedelta(seconds=1), visitors=["early"], entrepreneur=shop)
    paid = make_order(entrepreneur=shop, lines=[(p1, 2, "1200.00")], created_at=start + timedelta(hours=9),
                      channel="whatsapp")
    other = make_order(entrepreneur=other_shop, lines=[(p2, 1, "2500.00")], created_at=start + timedelta(hours=23, minutes=59))
    make_order(entrepreneur=shop, lines=[(p1, 9, "1200.00")], created_at=start + timedelta(hours=10),
               payment_status=PaymentStatus.PENDING)
    return {"shop": shop, "other_shop": other_shop, "supplier": supplier, "other_supplier": other_supplier,
            "paid": paid, "other": other}


def zeros(**values):
    return {metric: Decimal(values.get(metric, 0)).quantize(Decimal("0.01")) for metric in ROLLUP_METRICS}


def test_rollup_figures_per_entity(activity, day):
    call_command("rollup_metrics", "--date", day.isoformat())

    assert metrics("entrepreneur", activity["shop"].pk, day) == zeros(
        storefront_views=2, product_views=1, unique_visitors=2, orders=1, revenue="2900.00", earnings="520.00",
        base_sales="2000.00", items_sold=2)
    assert metrics("entrepreneur", activity["other_shop"].pk, day) == zeros(
        orders=1, revenue="3000.00", earnings="625.00", base_sales="2000.00", items_sold=1)
    assert metrics("supplier", activity["supplier"].pk, day) == zeros(
        product_views=1, unique_visitors=1, orders=1, revenue="2900.00", earnings="520.00", base_sales="2000.00",
        items_sold=2)
    assert metrics("supplier", activity["other_supplier"].pk, day) == zeros(
        orders=1, revenue="3000.00", earnings="625.00", base_sales="2000.00", items_sold=1)
    assert metrics("platform", 0, day) == zeros(
        storefront_views=2, product_views=1, unique_visitors=2, orders=2, revenue="5900.00", earnings="1145.00",
        base_sales="4000.00", items_sold=3)
    assert DailyMetrics.objects.filter(date=day).count() == 5 * len(ROLLUP_METRICS)


def test_rerunning_updates_and_never_duplicates(activity, day):
    call_command("rollup_metrics", "--date", day.isoformat())
    first = dict(DailyMetrics.objects.filter(date=day).values_list("id", "value"))

    call_command("rollup_metrics", "--date", day.isoformat())
    assert dict(DailyMetrics.objects.filter(date=day).values_list("id", "value")) == first

    # The world changes: one more view, and the other shop's only order is refunded.
    add_events("storefront_view", at=lagos_day_start(day) + timedelta(hours=20), visitors=["v3"],
               entrepreneur=activity["shop"])
    Order.objects.filter(pk=activity["other"].pk).update(payment_status=PaymentStatus.REFUNDED)
    rollup_daily_metrics.delay(day.isoformat())

    shop_figures = metrics("entrepreneur", activity["shop"].pk, day)
    assert (shop_figures["storefront_views"], shop_figures["unique_visitors"]) == (Decimal("3.00"), Decimal("3.00"))
    assert metrics("entrepreneur", activity["other_shop"].pk, day) == {}
    assert metrics("supplier", activity["other_supplier"].pk, day) == {}
    assert metrics("platform", 0, day)["revenue"] == Decimal("2900.00")
    assert DailyMetrics.objects.filter(date=day).count() == 3 * len(ROLLUP_METRICS)
    # Rows that survived kept their identity (updated in place).
    assert set(DailyMetrics.objects.filter(date=day).values_list("id", flat=True)) <= set(first)


def test_other_days_are_untouched(activity, day):
    earlier = day - timedelta(days=3)
    DailyMetrics.objects.create(date=earlier, metric_type="orders", entity_type="platform", entity_id=0, value=7)

    call_command("rollup_metrics", "--date", day.isoformat())

    assert DailyMetrics.objects.get(date=earlier).value == Decimal("7.00")


def test_task_defaults_to_yesterday_in_lagos(activity, day):
    result = rollup_daily_metrics.delay()

    assert result.get() == 5 * len(ROLLUP_METRICS)
    assert DailyMetrics.objects.filter(date=day, entity_type="platform").count() == len(ROLLUP_METRICS)


def test_quiet_day_still_records_the_platform_with_zeros():
    quiet = lagos_today() - timedelta(days=40)

    call_command("rollup_metrics", "--date", quiet.isoformat())

    assert metrics("platform", 0, quiet) == zeros()


@pytest.mark.parametrize("bad", ["2024-13-01", "yesterday", "01/02/2024", "2024-02-30", "20240101"])
def test_bad_date_is_a_command_error(bad):
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("rollup_metrics", "--date", bad)


def test_rollup_reads_do_not_grow_with_entities(day):
    """Nine aggregate SELECTs + one read of the day's rows, however many entities (INSERTs are batched)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    start = lagos_day_start(day) + timedelta(hours=12)

    def add_shop():
        shop = EntrepreneurFactory()
        product = ProductFactory()
        add_events("storefront_view", at=start, visitors=["x"], entrepreneur=shop)
        make_order(entrepreneur=shop, lines=[(product, 1, "1200.00")], created_at=start)

    def selects():
        with CaptureQueriesContext(connection) as queries:
            call_command("rollup_metrics", "--date", day.isoformat())
        return [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]

    add_shop()
    few = selects()
    for _ in range(8):
        add_shop()
    many = selects()

    assert len(few) == len(many) == 10
    assert DailyMetrics.objects.filter(date=day, entity_type="entrepreneur").count() == 9 * len(ROLLUP_METRICS)
