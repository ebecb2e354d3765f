"""POST /api/orders/orders/ — checkout through the real URL."""
import re
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone

from core.errors import ValidationFailed
from orders import services
from orders.models import Order, OrderItem, OrderStatus
from tests.factories import (
    AdminFactory,
    CustomerFactory,
    EntrepreneurUserFactory,
    ProductFactory,
    StoreProductFactory,
    SupplierFactory,
    VariationFactory,
)

from .factories import VALID_ADDRESS, add_variation, create_order, make_store

URL = "/api/orders/orders/"
pytestmark = pytest.mark.django_db


@pytest.fixture
def store():
    return make_store(base_price=D("1000.00"), selling_price=D("1200.00"), stock_quantity=10)


@pytest.fixture
def customer():
    return CustomerFactory()


@pytest.fixture
def client(auth_client, customer):
    return auth_client(customer)


@pytest.fixture
def notified(monkeypatch):
    calls = []
    monkeypatch.setattr(services.checkout, "notify", lambda event, **ids: calls.append((event, ids)))
    return calls


def payload(store, items=None, **extra):
    body = {
        "entrepreneur_custom_url": store.custom_url,
        "items": items if items is not None else [{"product_id": store.product.pk, "quantity": 2}],
        "shipping_address": dict(VALID_ADDRESS),
    }
    body.update(extra)
    return body


def post(client, body):
    return client.post(URL, body, format="json")


# --- the happy path --------------------------------------------------------------------------------


def test_customer_places_an_order_priced_by_the_server(client, customer, store, notified):
    before = timezone.now()
    response = post(client, payload(store, notes="Leave at the gate", source_channel="whatsapp"))
    assert response.status_code == 201, response.data
    data = response.data
    order = Order.objects.get(pk=data["id"])
    assert data["order_id"] == order.order_id
    assert re.fullmatch(r"PAY\d{8}[0-9A-F]{8}", order.order_id)
    assert order.order_id[3:11] == timezone.localdate().strftime("%Y%m%d")
    assert data["status"] == "pending" and data["payment_status"] == "pending"
    # the customer's view (SPEC §5): what it pays, not how it is split
    assert (order.subtotal, order.markup_amount, order.commission_amount) == (D("2000.00"), D("400.00"), D("120.00"))
    assert data["items_total"] == "2400.00"
    assert data["shipping_fee"] == "500.00"
    assert data["total_amount"] == "2900.00"
    assert data["checkout_id"] is None
    assert data["source_channel"] == "whatsapp"
    assert data["notes"] == "Leave at the gate"
    assert data["store"] == {"business_name": store.entrepreneur.business_name, "custom_url": store.custom_url}
    assert not {"supplier", "subtotal", "markup_amount", "commission_amount", "customer"} & set(data)
    assert data["shipping_address"] == {**VALID_ADDRESS, "phone": "+2348031234567"}
    assert data["allowed_transitions"] == ["cancelled"]
    [item] = data["items"]
    assert item == {
        "id": item["id"], "product_id": store.product.pk, "variation_id": None, "product_name": store.product.name,
        "product_sku": store.product.sku, "quantity": 2, "unit_price": "1200.00", "total_price": "2400.00",
    }
    [history] = data["status_history"]
    assert history["status"] == "pending" and "created_by" not in history
    assert order.status_history.get().created_by == customer
    store.product.refresh_from_db()
    assert store.product.stock_quantity == 8
    expected_reserved = before + timedelta(minutes=30)
    assert expected_reserved <= order.reserved_until <= timezone.now() + timedelta(minutes=30)
    # Earnings are not created at checkout (SPEC §6.3): payments records them when the payment is
    # confirmed — see payments/tests/test_earnings.py::test_earnings_are_recorded_at_payment_not_at_checkout.
    assert notified == [("order_placed", {"order_id": order.pk})]


def test_variation_is_priced_with_its_modifier_and_its_own_stock(client, store):
    variation = add_variation(store, name="XL", price_modifier=D("150.00"), stock_quantity=4)
    response = post(client, payload(store, [{"product_id": store.product.pk, "variation_id": variation.pk, "quantity": 3,
                                             "unit_price": "1350.00"}]))
    assert response.status_code == 201, response.data
    [item] = response.data["items"]
    assert item["variation_id"] == variation.pk
    assert item["product_name"] == f"{store.product.name} — XL"
    assert item["product_sku"] == variation.sku
    assert item["unit_price"] == "1350.00"
    line = OrderItem.objects.get(pk=item["id"])
    assert (line.base_price, line.unit_price, line.markup_amount) == (D("1150.00"), D("1350.00"), D("600.00"))
    assert line.commission_amount == D("202.50")
    assert response.data["total_amount"] == "4550.00"  # 3 × 1350 + 500
    variation.refresh_from_db()
    store.product.refresh_from_db()
    assert variation.stock_quantity == 1
    assert store.product.stock_quantity == 10  # product stock untouched when a variation is bought


def test_commission_rate_of_the_entrepreneur_is_used(client):
    store = make_store(base_price=D("300.00"), selling_price=D("333.33"), commission_rate=D("7.50"))
    response = post(client, payload(store, [{"product_id": store.product.pk, "quantity": 3}]))
    assert response.status_code == 201
    assert Order.objects.get(pk=response.data["id"]).commission_amount == D("75.00")
    assert response.data["total_amount"] == "1499.99"


def test_duplicate_lines_are_merged(client, store):
    response = post(client, payload(store, [{"product_id": store.product.pk, "quantity": 2},
                                            {"product_id": store.product.pk, "quantity": 3}]))
    assert response.status_code == 201
    assert [(i["product_id"], i["quantity"]) for i in response.data["items"]] == [(store.product.pk, 5)]
    store.product.refresh_from_db()
    assert store.product.stock_quantity == 5


def test_same_product_with_and_without_variation_are_separate_lines(client, store):
    variation = add_variation(store, stock_quantity=5)
    response = post(client, payload(store, [{"product_id": store.product.pk, "quantity": 1},
                                            {"product_id": store.product.pk, "variation_id": variation.pk, "quantity": 2}]))
    assert response.status_code == 201
    assert sorted((i["variation_id"] or 0, i["quantity"]) for i in response.data["items"]) == [(0, 1), (variation.pk, 2)]


def test_matching_client_price_is_accepted(client, store):
    response = post(client, payload(store, [{"product_id": store.product.pk, "quantity": 1, "unit_price": "1200"}]))
    assert response.status_code == 201


@pytest.mark.parametrize(("raw", "canonical"), [("lagos", "Lagos"), ("LAGOS STATE", "Lagos"), ("abuja", "FCT"),
                                                ("Federal Capital Territory", "FCT"), ("akwa ibom", "Akwa Ibom")])
def test_state_is_stored_canonically(client, store, raw, canonical):
    response = post(client, payload(store, shipping_address={**VALID_ADDRESS, "state": raw}))
    assert response.status_code == 201
    assert response.data["shipping_address"]["state"] == canonical


def test_source_channel_any_case_and_optional(client, store):
    assert post(client, payload(store, source_channel="Instagram")).data["source_channel"] == "instagram"
    assert post(client, payload(store)).data["source_channel"] == ""


def test_custom_url_is_case_insensitive(client, store):
    assert post(client, payload(store, entrepreneur_custom_url=store.custom_url.upper())).status_code == 201


def test_order_id_collision_is_retried(client, store, monkeypatch):
    existing = create_order(store=store)
    ids = iter([existing.order_id, "PAY20250101ABCDEF12"])
    monkeypatch.setattr(services.placement, "generate_order_id", lambda: next(ids))
    response = post(client, payload(store))
    assert response.status_code == 201
    assert response.data["order_id"] == "PAY20250101ABCDEF12"


# --- who may buy -----------------------------------------------------------------------------------


@pytest.mark.parametrize("make_user", [EntrepreneurUserFactory, lambda: SupplierFactory().user, AdminFactory,
                                       lambda: CustomerFactory(is_staff=True)])
def test_only_customers_may_buy(auth_client, store, make_user):
    response = post(auth_client(make_user()), payload(store))
    assert response.status_code == 403
    assert response.data == {"code": "permission_denied",
                             "error": "Only customer accounts can place orders. Please use a customer account to buy."}
    assert Order.objects.count() == 0


def test_anonymous_gets_401(api_client, store):
    assert post(api_client, payload(store)).status_code == 401


# --- the store and its products ---------------------------------------------------------------------


def test_unknown_store_is_404(client, store):
    response = post(client, payload(store, entrepreneur_custom_url="no-such-shop"))
    assert response.status_code == 404
    assert response.data["error"] == "Store not found."


@pytest.mark.parametrize("breaker", ["unpublished", "inactive_entrepreneur"])
def test_closed_store_is_404(client, store, breaker):
    if breaker == "unpublished":
        store.storefront.is_published = False
        store.storefront.save()
    else:
        store.entrepreneur.is_active = False
        store.entrepreneur.save()
    assert post(client, payload(store)).status_code == 404


def test_product_not_in_this_store_is_400(client, store):
    other = ProductFactory(supplier=store.supplier)
    response = post(client, payload(store, [{"product_id": other.pk, "quantity": 1}]))
    assert response.status_code == 400
    assert response.data == {
        "code": "validation_failed", "error": f"Product {other.pk} is not available in this store.",
        "details": {"items": [{"product_id": other.pk, "variation_id": None,
                               "error": "This product is not available in this store."}]},
    }


def test_product_in_another_store_is_400(client, store):
    elsewhere = make_store()
    response = post(client, payload(store, [{"product_id": elsewhere.product.pk, "quantity": 1}]))
    assert response.status_code == 400


@pytest.mark.parametrize("breaker", ["listing_inactive", "product_inactive", "supplier_unverified",
                                     "supplier_rejected", "supplier_inactive"])
def test_unavailable_products_are_400(client, store, breaker):
    if breaker == "listing_inactive":
        store.listing.is_active = False
        store.listing.save()
    elif breaker == "product_inactive":
        store.product.is_active = False
        store.product.save()
    else:
        store.supplier.verification_status = {"supplier_unverified": "pending", "supplier_rejected": "rejected"}.get(
            breaker, "verified")
        store.supplier.is_active = breaker != "supplier_inactive"
        store.supplier.save()
    response = post(client, payload(store))
    assert response.status_code == 400
    assert response.data["error"] == f"Product {store.product.pk} is not available in this store."
    store.product.refresh_from_db()
    assert store.product.stock_quantity == 10


def test_mixed_suppliers_are_400_grouped_by_parcel_pointing_at_checkouts(client, store):
    other_supplier = SupplierFactory(company_name="Zed Foods Ltd")
    other = StoreProductFactory(storefront=store.storefront, product=ProductFactory(supplier=other_supplier))
    response = post(client, payload(store, [{"product_id": other.product_id, "quantity": 2},
                                            {"product_id": store.product.pk, "quantity": 1}]))
    assert response.status_code == 400
    assert response.data["error"] == (
        "These items ship as 2 separate parcels, so they cannot be one order. Check the whole cart out at "
        "/api/orders/checkouts/ (one payment), or order each parcel separately.")
    assert response.data["details"] == {"checkout_url": "/api/orders/checkouts/", "parcels": [
        {"parcel": 1, "items": [{"product_id": store.product.pk, "variation_id": None, "name": store.product.name,
                                 "quantity": 1}]},
        {"parcel": 2, "items": [{"product_id": other.product_id, "variation_id": None, "name": other.product.name,
                                 "quantity": 2}]},
    ]}
    # the customer does not learn who supplies the store, not even from an error
    assert "Zed Foods" not in str(response.data) and store.supplier.company_name not in str(response.data)
    assert not Order.objects.exists()


@pytest.mark.parametrize("breaker", ["other_product", "inactive", "missing"])
def test_bad_variation_is_400(client, store, breaker):
    if breaker == "other_product":
        variation_id = VariationFactory().pk
    elif breaker == "inactive":
        variation_id = add_variation(store, is_active=False).pk
    else:
        variation_id = 999999
    response = post(client, payload(store, [{"product_id": store.product.pk, "variation_id": variation_id, "quantity": 1}]))
    assert response.status_code == 400
    assert response.data["error"] == f"Variation {variation_id} is not available for product {store.product.pk}."


# --- quantities and stock --------------------------------------------------------------------------


@pytest.mark.parametrize("quantity", [0, -1, "two", None, 1.5])
def test_bad_quantity_is_400(client, store, quantity):
    response = post(client, payload(store, [{"product_id": store.product.pk, "quantity": quantity}]))
    assert response.status_code == 400
    assert "quantity" in response.data["details"]["items"][0]


def test_more_than_stock_is_409(client, store):
    response = post(client, payload(store, [{"product_id": store.product.pk, "quantity": 11}]))
    assert response.status_code == 409
    assert response.data == {
        "code": "insufficient_stock", "error": f"Not enough stock for {store.product.name}: 10 available, 11 requested.",
        "details": {"product_id": store.product.pk, "variation_id": None, "requested": 11, "available": 10},
    }


def test_merged_lines_count_against_stock_together(client, store):
    response = post(client, payload(store, [{"product_id": store.product.pk, "quantity": 6},
                                            {"product_id": store.product.pk, "quantity": 5}]))
    assert response.status_code == 409
    assert response.data["details"]["requested"] == 11


def test_variation_stock_is_what_counts(client, store):
    variation = add_variation(store, stock_quantity=1)
    response = post(client, payload(store, [{"product_id": store.product.pk, "variation_id": variation.pk, "quantity": 2}]))
    assert response.status_code == 409
    assert response.data["details"] == {"product_id": store.product.pk, "variation_id": variation.pk, "requested": 2,
                                        "available": 1}


def test_failed_line_rolls_back_earlier_reservations(client):
    store = make_store(products=2, stock_quantity=3)
    first, second = store.listings
    first.product.stock_quantity = 1
    first.product.save()
    response = post(client, payload(store, [{"product_id": second.product_id, "quantity": 3},
                                            {"product_id": first.product_id, "quantity": 2}]))
    assert response.status_code == 409
    first.product.refresh_from_db()
    second.product.refresh_from_db()
    assert (first.product.stock_quantity, second.product.stock_quantity) == (1, 3)
    assert Order.objects.count() == 0


def test_empty_items_is_400(client, store):
    response = post(client, payload(store, []))
    assert response.status_code == 400
    assert response.data["details"] == {"items": {"non_field_errors": ["This list may not be empty."]}}


def test_more_than_50_lines_is_400(client):
    store = make_store(products=51)
    response = post(client, payload(store, [{"product_id": sp.product_id, "quantity": 1} for sp in store.listings]))
    assert response.status_code == 400
    assert response.data["details"] == {"items": {"non_field_errors": ["Ensure this field has no more than 50 elements."]}}


def test_fifty_lines_are_fine(client):
    store = make_store(products=50)
    response = post(client, payload(store, [{"product_id": sp.product_id, "quantity": 1} for sp in store.listings]))
    assert response.status_code == 201
    assert len(response.data["items"]) == 50


def test_service_refuses_51_lines_too(customer, store):
    with pytest.raises(ValidationFailed):
        services.order_create(customer=customer, entrepreneur_custom_url=store.custom_url,
                              items=[services.OrderLine(product_id=store.product.pk, quantity=1)] * 51,
                              shipping_address=dict(VALID_ADDRESS))


# --- prices ----------------------------------------------------------------------------------------


def test_client_price_that_differs_is_409_with_the_current_price(client, store):
    response = post(client, payload(store, [{"product_id": store.product.pk, "quantity": 1, "unit_price": "1000.00"}]))
    assert response.status_code == 409
    assert response.data == {
        "code": "price_changed", "error": f"The price of {store.product.name} has changed to ₦1200.00.",
        "details": {"product_id": store.product.pk, "variation_id": None, "current_price": "1200.00"},
    }
    store.product.refresh_from_db()
    assert store.product.stock_quantity == 10


def test_price_changed_for_variation_names_it(client, store):
    variation = add_variation(store, price_modifier=D("50.00"))
    response = post(client, payload(store, [{"product_id": store.product.pk, "variation_id": variation.pk, "quantity": 1,
                                             "unit_price": "1200.00"}]))
    assert response.status_code == 409
    assert response.data["details"] == {"product_id": store.product.pk, "variation_id": variation.pk,
                                        "current_price": "1250.00"}


def test_store_price_below_base_is_409_not_500(client, store):
    store.product.base_price = D("1500.00")
    store.product.save()
    response = post(client, payload(store))
    assert response.status_code == 409
    assert response.data["error"] == f"{store.product.name} cannot be sold at this store's current price."


# --- shipping address, notes, channel ---------------------------------------------------------------


@pytest.mark.parametrize("missing", ["full_name", "phone", "address", "city", "state"])
def test_missing_address_field_is_400(client, store, missing):
    address = {k: v for k, v in VALID_ADDRESS.items() if k != missing}
    response = post(client, payload(store, shipping_address=address))
    assert response.status_code == 400
    assert response.data["details"] == {"shipping_address": {missing: ["This field is required."]}}


@pytest.mark.parametrize("phone", ["12345", "0803123456789", "+447911123456"])
def test_bad_phone_is_400(client, store, phone):
    response = post(client, payload(store, shipping_address={**VALID_ADDRESS, "phone": phone}))
    assert response.status_code == 400
    assert list(response.data["details"]["shipping_address"]) == ["phone"]


def test_unknown_state_is_400(client, store):
    response = post(client, payload(store, shipping_address={**VALID_ADDRESS, "state": "Texas"}))
    assert response.status_code == 400
    assert response.data == {"code": "validation_failed",
                             "error": "shipping_address.state: Enter one of the 36 Nigerian states or FCT.",
                             "details": {"shipping_address": {"state": ["Enter one of the 36 Nigerian states or FCT."]}}}


def test_shipping_address_must_be_an_object(client, store):
    response = post(client, payload(store, shipping_address="Lagos"))
    assert response.status_code == 400
    assert "shipping_address" in response.data["details"]


def test_bad_source_channel_is_400(client, store):
    response = post(client, payload(store, source_channel="tiktok"))
    assert response.status_code == 400
    assert list(response.data["details"]) == ["source_channel"]


def test_overlong_notes_are_400(client, store):
    response = post(client, payload(store, notes="x" * 1001))
    assert response.status_code == 400
    assert list(response.data["details"]) == ["notes"]


def test_missing_custom_url_is_400(client, store):
    body = payload(store)
    del body["entrepreneur_custom_url"]
    response = post(client, body)
    assert response.status_code == 400
    assert list(response.data["details"]) == ["entrepreneur_custom_url"]


def test_service_cleans_address_for_direct_callers(customer, store):
    order = services.order_create(customer=customer, entrepreneur_custom_url=store.custom_url,
                                  items=[services.OrderLine(product_id=store.product.pk, quantity=1)],
                                  shipping_address={**VALID_ADDRESS, "phone": "+234 803 123 4567", "state": "oyo",
                                                    "extra": "dropped"})
    assert order.shipping_address == {**VALID_ADDRESS, "phone": "+2348031234567", "state": "Oyo"}
    assert order.status == OrderStatus.PENDING
