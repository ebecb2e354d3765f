"""GET /api/analytics/entrepreneur/ and /supplier/: exact figures on a constructed dataset, and the query budget."""
from datetime import timedelta
from decimal import Decimal

import pytest

from analytics.selectors import lagos_day_start, lagos_today
from orders.models import PaymentStatus
from tests.factories import (
    CustomerFactory,
    EntrepreneurFactory,
    ProductFactory,
    SupplierFactory,
    SupplierUserFactory,
)

from .factories import add_events, make_order

pytestmark = pytest.mark.django_db

ENTREPRENEUR_URL = "/api/analytics/entrepreneur/"
SUPPLIER_URL = "/api/analytics/supplier/"


def noon(day):
    return lagos_day_start(day) + timedelta(hours=12)


@pytest.fixture
def dataset():
    """A week of activity for one shop (today = T), plus noise that must not count.

    Window days=7 → T-6 … T. Unique visitors in the window: v1…v7 (7).
    Paid orders in the window: o1 (T, whatsapp) 2900.00, o2 (T-2, direct) 2000.00, o3 (T-2, instagram) 3500.00.
    """
    today = lagos_today()
    t = {n: today - timedelta(days=n) for n in range(12)}
    supplier = SupplierFactory()
    shop = EntrepreneurFactory(commission_rate=Decimal("5.00"))
    p1 = ProductFactory(supplier=supplier, name="Ankara Tote", base_price=Decimal("1000.00"))
    p2 = ProductFactory(supplier=supplier, name="Shea Butter", base_price=Decimal("1000.00"))
    p3 = ProductFactory(supplier=supplier, name="Zobo Pack", base_price=Decimal("500.00"))

    # Storefront views: T (v1, v2, v1); T-2 (v3 at noon, v4 at 00:30 Lagos = 23:30 UTC the day before).
    add_events("storefront_view", at=noon(t[0]), visitors=["v1", "v2", "v1"], entrepreneur=shop)
    add_events("storefront_view", at=noon(t[2]), visitors=["v3"], entrepreneur=shop)
    add_events("storefront_view", at=lagos_day_start(t[2]) + timedelta(minutes=30), visitors=["v4"], entrepreneur=shop)
    # Product views: T (v1 p1, v5 p2); T-3 (v7 p3). A share (v2, T-1) and a link click (v6, T-1).
    add_events("product_view", at=noon(t[0]), visitors=["v1"], entrepreneur=shop, product=p1)
    add_events("product_view", at=noon(t[0]), visitors=["v5"], entrepreneur=shop, product=p2)
    add_events("product_view", at=noon(t[3]), visitors=["v7"], entrepreneur=shop, product=p3)
    add_events("product_share", at=noon(t[1]), visitors=["v2"], entrepreneur=shop, product=p1)
    add_events("link_click", at=noon(t[1]), visitors=["v6"], entrepreneur=shop, metadata={"channel": "whatsapp"})
    # An event with no visitor id (recorded server-side) counts as a view, not as a visitor.
    add_events("storefront_view", at=noon(t[5]), visitors=[""], entrepreneur=shop)
    # Noise: a minute before the window opens, and another shop's traffic.
    add_events("storefront_view", at=lagos_day_start(t[6]) - timedelta(minutes=1), visitors=["v9"] * 5, entrepreneur=shop)
    other_shop = EntrepreneurFactory()
    add_events("storefront_view", at=noon(t[0]), visitors=["v1", "w2"], entrepreneur=other_shop)

    orders = {
        "o1": make_order(entrepreneur=shop, lines=[(p1, 2, "1200.00")], created_at=noon(t[0]), channel="whatsapp"),
        "o2": make_order(entrepreneur=shop, lines=[(p2, 1, "1500.00")], created_at=noon(t[2])),
        "o3": make_order(entrepreneur=shop, lines=[(p1, 1, "1200.00"), (p3, 3, "600.00")], created_at=noon(t[2]),
                         channel="instagram"),
    }
    # Not counted: pending, refunded, too old, another shop's.
    make_order(entrepreneur=shop, lines=[(p1, 5, "1200.00")], created_at=noon(t[0]), payment_status=PaymentStatus.PENDING)
    make_order(entrepreneur=shop, lines=[(p2, 4, "1500.00")], created_at=noon(t[1]), payment_status=PaymentStatus.REFUNDED)
    make_order(entrepreneur=shop, lines=[(p1, 1, "1200.00")], created_at=noon(t[10]), channel="qr")
    other_supplier_product = ProductFactory()
    make_order(entrepreneur=other_shop, lines=[(other_supplier_product, 1, "1300.00")], created_at=noon(t[0]))
    return {"shop": shop, "supplier": supplier, "days": t, "products": (p1, p2, p3), "orders": orders}


def test_order_amounts_in_the_dataset_follow_the_spec(dataset):
    o1, o2, o3 = dataset["orders"].values()
    assert (o1.subtotal, o1.markup_amount, o1.commission_amount, o1.total_amount) == (
        Decimal("2000.00"), Decimal("400.00"), Decimal("120.00"), Decimal("2900.00"))
    assert (o2.total_amount, o3.total_amount) == (Decimal("2000.00"), Decimal("3500.00"))
    assert (o3.markup_amount, o3.commission_amount) == (Decimal("500.00"), Decimal("150.00"))


def test_entrepreneur_analytics_exact_figures(auth_client, dataset):
    response = auth_client(dataset["shop"].user).get(ENTREPRENEUR_URL, {"days": 7})

    assert response.status_code == 200, response.data
    data = response.data
    t = dataset["days"]
    p1, p2, p3 = dataset["products"]
    assert (data["days"], data["start_date"], data["end_date"]) == (7, t[6].isoformat(), t[0].isoformat())
    assert data["total_views"] == 6          # 3 on T + 2 on T-2 + 1 without visitor id on T-5
    assert data["product_views"] == 3
    assert data["unique_visitors"] == 7      # v1…v7
    assert data["social_shares"] == 1
    assert data["link_clicks"] == 1
    assert data["total_orders"] == 3
    assert data["total_revenue"] == "8400.00"
    assert data["total_earnings"] == "1745.00"   # (400+120) + (500+75) + (500+150)
    assert data["total_items_sold"] == 7
    assert data["average_order_value"] == "2800.00"
    assert data["conversion_rate"] == "42.86"    # 3 / 7 × 100
    assert [dict(row) for row in data["top_products"]] == [
        {"product_id": p1.pk, "name": "Ankara Tote", "slug": p1.slug, "quantity_sold": 3, "revenue": "3600.00",
         "order_count": 2},
        {"product_id": p3.pk, "name": "Zobo Pack", "slug": p3.slug, "quantity_sold": 3, "revenue": "1800.00",
         "order_count": 1},
        {"product_id": p2.pk, "name": "Shea Butter", "slug": p2.slug, "quantity_sold": 1, "revenue": "1500.00",
         "order_count": 1},
    ]
    assert [dict(row) for row in data["revenue_by_channel"]] == [
        {"channel": "instagram", "orders": 1, "revenue": "3500.00"},
        {"channel": "whatsapp", "orders": 1, "revenue": "2900.00"},
        {"channel": "direct", "orders": 1, "revenue": "2000.00"},
        {"channel": "facebook", "orders": 0, "revenue": "0.00"},
        {"channel": "x", "orders": 0, "revenue": "0.00"},
        {"channel": "qr", "orders": 0, "revenue": "0.00"},
        {"channel": "link", "orders": 0, "revenue": "0.00"},
    ]

    zero = {"views": 0, "product_views": 0, "unique_visitors": 0, "shares": 0, "orders": 0, "revenue": "0.00"}
    expected = {
        t[0]: {**zero, "views": 3, "product_views": 2, "unique_visitors": 3, "orders": 1, "revenue": "2900.00"},
        t[1]: {**zero, "shares": 1, "unique_visitors": 2},
        # v4's view at 00:30 Lagos (23:30 UTC the day before) belongs to T-2.
        t[2]: {**zero, "views": 2, "unique_visitors": 2, "orders": 2, "revenue": "5500.00"},
        t[3]: {**zero, "product_views": 1, "unique_visitors": 1},
        t[4]: zero,
        t[5]: {**zero, "views": 1},
        t[6]: zero,
    }
    assert [dict(row) for row in data["daily_breakdown"]] == [
        {"date": day.isoformat(), **expected[day]} for day in sorted(expected)
    ]


def test_default_window_is_30_days_and_empty_shop_gets_zeros(auth_client):
    shop = EntrepreneurFactory()

    response = auth_client(shop.user).get(ENTREPRENEUR_URL)

    assert response.status_code == 200
    data = response.data
    assert data["days"] == 30
    assert len(data["daily_breakdown"]) == 30
    assert data["daily_breakdown"][-1]["date"] == lagos_today().isoformat()
    assert (data["total_views"], data["unique_visitors"], data["total_orders"]) == (0, 0, 0)
    assert (data["total_revenue"], data["average_order_value"], data["conversion_rate"]) == ("0.00", "0.00", "0.00")
    assert data["top_products"] == []


@pytest.mark.parametrize("days", ["0", "366", "-3", "abc", "7.5"])
def test_bad_days_is_400(auth_client, days):
    shop = EntrepreneurFactory()

    response = auth_client(shop.user).get(ENTREPRENEUR_URL, {"days": days})

    assert response.status_code == 400
    assert "days" in response.data["details"]


@pytest.mark.parametrize("days", [1, 365])
def test_days_bounds_are_accepted(auth_client, days):
    response = auth_client(EntrepreneurFactory().user).get(ENTREPRENEUR_URL, {"days": days})

    assert response.status_code == 200
    assert len(response.data["daily_breakdown"]) == days


def test_entrepreneur_analytics_roles(api_client, auth_client):
    assert api_client.get(ENTREPRENEUR_URL).status_code == 401
    customer = auth_client(CustomerFactory()).get(ENTREPRENEUR_URL)
    assert customer.status_code == 403
    assert customer.data == {"code": "permission_denied", "error": "Only entrepreneur accounts can do this."}
    assert auth_client(SupplierFactory().user).get(ENTREPRENEUR_URL).status_code == 403
    # An entrepreneur account that has not created its profile yet.
    from tests.factories import EntrepreneurUserFactory

    no_profile = auth_client(EntrepreneurUserFactory()).get(ENTREPRENEUR_URL)
    assert no_profile.status_code == 404
    assert no_profile.data == {"code": "not_found", "error": "Entrepreneur profile not found."}


def test_supplier_analytics_exact_figures(auth_client, dataset):
    response = auth_client(dataset["supplier"].user).get(SUPPLIER_URL, {"days": 7})

    assert response.status_code == 200, response.data
    data = response.data
    assert "total_views" not in data and "total_earnings" not in data
    assert data["product_views"] == 3
    assert data["social_shares"] == 1
    assert data["unique_visitors"] == 4       # v1, v5, v7 viewed its products; v2 shared one
    assert data["total_orders"] == 3
    assert data["total_revenue"] == "8400.00"
    assert data["total_base_sales"] == "5500.00"
    assert data["total_items_sold"] == 7
    assert data["average_order_value"] == "2800.00"
    assert [row["name"] for row in data["top_products"]] == ["Ankara Tote", "Zobo Pack", "Shea Butter"]
    assert len(data["daily_breakdown"]) == 7


def test_supplier_analytics_roles(auth_client):
    assert auth_client(EntrepreneurFactory().user).get(SUPPLIER_URL).status_code == 403
    no_profile = auth_client(SupplierUserFactory()).get(SUPPLIER_URL)
    assert no_profile.status_code == 404
    assert auth_client(SupplierFactory().user).get(SUPPLIER_URL, {"days": "400"}).status_code == 400


def _ninety_days_of_activity(shop, products):
    today = lagos_today()
    for n in range(90):
        day = today - timedelta(days=n)
        add_events("storefront_view", at=noon(day), visitors=[f"a{n}", f"b{n}", f"a{n}"], entrepreneur=shop)
        add_events("product_view", at=noon(day), visitors=[f"a{n}"], entrepreneur=shop, product=products[n % 3])
        add_events("product_share", at=noon(day), visitors=[f"b{n}"], entrepreneur=shop, product=products[0])
        make_order(entrepreneur=shop, lines=[(products[n % 3], 1, "1200.00"), (products[(n + 1) % 3], 2, "1300.00")],
                   created_at=noon(day), channel=("whatsapp", "", "qr")[n % 3])


# JWT user + profile + 7 aggregates (events, orders, items sold, top products, channels, daily events, daily orders).
ENTREPRENEUR_QUERY_BUDGET = 9


def test_entrepreneur_analytics_query_budget_is_fixed_for_90_days(auth_client, django_assert_num_queries):
    shop = EntrepreneurFactory()
    supplier = SupplierFactory()
    products = [ProductFactory(supplier=supplier) for _ in range(3)]
    client = auth_client(shop.user)

    with django_assert_num_queries(ENTREPRENEUR_QUERY_BUDGET):
        empty = client.get(ENTREPRENEUR_URL, {"days": 90})
    _ninety_days_of_activity(shop, products)
    with django_assert_num_queries(ENTREPRENEUR_QUERY_BUDGET):
        full = client.get(ENTREPRENEUR_URL, {"days": 90})
    with django_assert_num_queries(ENTREPRENEUR_QUERY_BUDGET):
        client.get(ENTREPRENEUR_URL, {"days": 365})

    assert empty.status_code == full.status_code == 200
    data = full.data
    assert len(data["daily_breakdown"]) == 90
    assert all(day["views"] == 3 and day["unique_visitors"] == 2 and day["orders"] == 1 for day in data["daily_breakdown"])
    assert data["total_views"] == 270
    assert data["unique_visitors"] == 180
    assert data["total_orders"] == 90
    assert data["total_items_sold"] == 270
    assert data["total_revenue"] == str(Decimal("4300.00") * 90)  # 1000+2000 base + 200+600 markup + 500 shipping
    assert data["conversion_rate"] == "50.00"


def test_supplier_analytics_query_budget_is_fixed(auth_client, django_assert_num_queries):
    shop = EntrepreneurFactory()
    supplier = SupplierFactory()
    products = [ProductFactory(supplier=supplier) for _ in range(3)]
    _ninety_days_of_activity(shop, products)
    client = auth_client(supplier.user)

    with django_assert_num_queries(ENTREPRENEUR_QUERY_BUDGET):
        response = client.get(SUPPLIER_URL, {"days": 90})

    assert response.status_code == 200
    assert response.data["total_orders"] == 90
    assert response.data["total_base_sales"] == str(Decimal("3000.00") * 90)
