"""The commission cap (SPEC §5): however high a store prices a product, the platform's share of the order is ≥ 0."""
from decimal import Decimal as D

import pytest
from django.core.management import CommandError, call_command

from orders.services import OrderLine, order_create
from orders.tests.factories import VALID_ADDRESS
from payments.ledger import Line, ledger_audit
from payments.models import JournalEntry, LedgerAccount, Transaction
from payments.services import sandbox_checkout_complete, wallet_journal_post
from tests.factories import CustomerFactory, EntrepreneurFactory, ProductFactory, StorefrontFactory

pytestmark = pytest.mark.django_db
URL = "/api/social/store-products/"


@pytest.fixture
def store(auth_client):
    entrepreneur = EntrepreneurFactory(commission_rate=D("50.00"))  # a greedy rate: 50% of the price
    StorefrontFactory(entrepreneur=entrepreneur)
    product = ProductFactory(base_price=D("10000.00"), stock_quantity=5)
    return {"entrepreneur": entrepreneur, "product": product, "client": auth_client(entrepreneur.user)}


def test_selling_price_above_the_bound_is_400(store):
    response = store["client"].post(URL, {"product": store["product"].pk, "selling_price": "100000.01"}, format="json")
    assert response.status_code == 400
    assert response.json()["details"]["selling_price"] == ["The selling price can be at most 10× the base price "
                                                           "(₦100000.00)."]
    assert store["client"].post(URL, {"product": store["product"].pk, "selling_price": "100000.00"},
                                format="json").status_code == 201


def test_the_bound_is_a_setting(store, settings):
    settings.STORE_PRICE_MAX_FACTOR = D("2")
    response = store["client"].post(URL, {"product": store["product"].pk, "selling_price": "20000.01"}, format="json")
    assert response.status_code == 400
    assert "2× the base price (₦20000.00)" in response.json()["error"]


def test_patch_above_the_bound_is_400(store):
    listing = store["client"].post(URL, {"product": store["product"].pk}, format="json").json()
    response = store["client"].patch(f"{URL}{listing['id']}/", {"selling_price": "150000.00"}, format="json")
    assert response.status_code == 400


def test_order_at_the_maximum_price_leaves_the_platform_a_non_negative_share(store, settings):
    settings.SHIPPING_FEE_NGN = D("0")  # no shipping fee to hide a loss behind
    assert store["client"].post(URL, {"product": store["product"].pk, "selling_price": "100000.00"},
                                format="json").status_code == 201
    order = order_create(customer=CustomerFactory(), entrepreneur_custom_url=store["entrepreneur"].custom_url,
                         items=[OrderLine(product_id=store["product"].pk, quantity=1)], shipping_address=dict(VALID_ADDRESS))
    # 50% of ₦100,000 would be ₦50,000; capped at the platform's 10% of the ₦10,000 base
    assert (order.markup_amount, order.commission_amount, order.total_amount) == (
        D("90000.00"), D("1000.00"), D("100000.00"))
    txn = Transaction.objects.create(transaction_id=f"PJ-{order.order_id}-SBX", order=order, user=order.customer,
                                     amount=order.total_amount, provider="sandbox")
    sandbox_checkout_complete(reference=txn.transaction_id, outcome="pay")
    journal = JournalEntry.objects.get(order=order, entry_type="payment")
    shares = {line.account: line.amount for line in journal.lines.all()}
    assert shares[LedgerAccount.ENTREPRENEUR_PENDING] == D("91000.00")
    assert shares[LedgerAccount.SUPPLIER_PAYABLE] == D("9000.00")
    assert shares.get(LedgerAccount.PLATFORM_REVENUE, D("0")) >= D("0")  # exactly 0 here: its 10% funds the cap
    assert ledger_audit() == []


def test_audit_ledger_fails_on_a_negative_platform_share(store):
    from orders.models import Order

    store["client"].post(URL, {"product": store["product"].pk}, format="json")
    order = order_create(customer=CustomerFactory(), entrepreneur_custom_url=store["entrepreneur"].custom_url,
                         items=[OrderLine(product_id=store["product"].pk, quantity=1)], shipping_address=dict(VALID_ADDRESS))
    order = Order.objects.select_related("entrepreneur", "supplier").get(pk=order.pk)
    # a payment journal as an uncapped commission would have booked it: balanced, but the platform pays
    # (the supplier's wallet moves with it, as payments would move it)
    wallet_journal_post(entry_type="payment", idempotency_key=f"payment:{order.order_id}", order=order, lines=[
        Line(LedgerAccount.GATEWAY_CLEARING, -order.total_amount),
        Line(LedgerAccount.SUPPLIER_PAYABLE, order.total_amount + D("1.00"), order.supplier.user_id),
        Line(LedgerAccount.PLATFORM_REVENUE, D("-1.00")),
    ])
    problems = ledger_audit()
    assert problems == [f"order {order.order_id}: platform share -1.00 is negative"]
    with pytest.raises(CommandError):
        call_command("audit_ledger")
