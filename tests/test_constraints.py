"""Every database constraint rejects bad rows (SPEC §3: "Database constraints back every invariant").

Each test first writes a valid row (so the test fails if the fixture itself is broken), then shows that
the database — not only Python validation — refuses the bad one with ``IntegrityError``. Rows are written
with ``objects.create`` / ``bulk_create`` / queryset ``update`` so that no model ``save()`` normalisation
or form validation gets in the way.

``test_every_constraint_is_covered`` lists the constraints and unique fields the models declare and fails
when one has no test here: a new constraint needs a new case below.
"""
import uuid
from datetime import date
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import IntegrityError, transaction

from analytics.models import DailyMetrics
from entrepreneurs.models import EntrepreneurProfile
from orders.models import Checkout, Order, OrderItem
from payments.models import (
    Earnings,
    JournalEntry,
    LedgerEntry,
    PaymentMethod,
    Transaction,
    Wallet,
    WebhookEvent,
    WithdrawalRequest,
)
from products.models import Category, InventoryAdjustment, Product, ProductImage, ProductVariation
from social.models import EntrepreneurStorefront, StoreProduct
from suppliers.models import SupplierProfile
from tests.factories import (
    CategoryFactory,
    CustomerFactory,
    EntrepreneurFactory,
    ProductFactory,
    StorefrontFactory,
    StoreProductFactory,
    SupplierFactory,
    UserFactory,
    VariationFactory,
)
from users.models import User

pytestmark = pytest.mark.django_db

OUR_APPS = {"users", "entrepreneurs", "suppliers", "products", "social", "orders", "payments", "analytics", "public", "core"}
COVERED: set[str] = set()


def covers(*names):
    """Register the constraint names / ``Model.field`` unique fields a test proves."""

    def decorate(func):
        COVERED.update(names)
        return func

    return decorate


def rejected(write):
    """``write()`` must fail in the database; the savepoint keeps the test's transaction usable."""
    with pytest.raises(IntegrityError):
        with transaction.atomic():
            write()


def update(instance, **fields):
    """An UPDATE straight to the database, bypassing ``save()``."""
    return lambda: type(instance)._base_manager.filter(pk=instance.pk).update(**fields)


# --- builders for rows that have no shared factory -------------------------------------------------------

def new_order_id() -> str:
    return f"PAY{date.today():%Y%m%d}{uuid.uuid4().hex[:8].upper()}"


def make_order(**overrides) -> Order:
    entrepreneur = overrides.pop("entrepreneur", None) or EntrepreneurFactory()
    fields = {
        "order_id": new_order_id(),
        "customer": overrides.pop("customer", None) or CustomerFactory(),
        "entrepreneur": entrepreneur,
        "supplier": overrides.pop("supplier", None) or SupplierFactory(),
        "subtotal": Decimal("1000.00"),
        "markup_amount": Decimal("200.00"),
        "commission_amount": Decimal("60.00"),
        "shipping_fee": Decimal("500.00"),
        "total_amount": Decimal("1700.00"),
        "supplier_commission_rate": Decimal("10.00"),
        "shipping_address": {"full_name": "Bola Ade", "phone": "+2348031234567", "address": "1 Allen Ave",
                             "city": "Ikeja", "state": "Lagos"},
    }
    fields.update(overrides)
    return Order.objects.create(**fields)


def make_item(order=None, **overrides) -> OrderItem:
    order = order or make_order()
    product = overrides.pop("product", None) or ProductFactory(supplier=order.supplier)
    fields = {
        "order": order, "product": product, "product_name": product.name, "product_sku": product.sku,
        "quantity": 1, "unit_price": Decimal("1200.00"), "base_price": Decimal("1000.00"),
        "markup_amount": Decimal("200.00"), "commission_amount": Decimal("60.00"), "total_price": Decimal("1200.00"),
    }
    fields.update(overrides)
    return OrderItem.objects.create(**fields)


def make_transaction(**overrides) -> Transaction:
    fields = {
        "transaction_id": f"pjx_{uuid.uuid4().hex}",
        "user": overrides.pop("user", None) or CustomerFactory(),
        "amount": Decimal("1700.00"),
        "provider": "paystack",
        "provider_reference": "",
    }
    fields.update(overrides)
    return Transaction.objects.create(**fields)


def make_payment_method(user=None, **overrides) -> PaymentMethod:
    fields = {
        "user": user or UserFactory(),
        "method_type": PaymentMethod.MethodType.BANK_TRANSFER,
        "details": {"account_number": "0123456789", "bank_code": "058", "account_name": "Ada Obi"},
    }
    fields.update(overrides)
    return PaymentMethod.objects.create(**fields)


def make_withdrawal(**overrides) -> WithdrawalRequest:
    entrepreneur = overrides.pop("entrepreneur", None) or EntrepreneurFactory()
    fields = {
        "entrepreneur": entrepreneur,
        "payment_method": overrides.pop("payment_method", None) or make_payment_method(entrepreneur.user),
        "amount": Decimal("5000.00"),
        "processing_fee": Decimal("100.00"),
        "net_amount": Decimal("4900.00"),
        "reference_id": f"wd_{uuid.uuid4().hex}",
    }
    fields.update(overrides)
    return WithdrawalRequest.objects.create(**fields)


def make_journal(**overrides) -> JournalEntry:
    fields = {"entry_type": JournalEntry.EntryType.PAYMENT, "idempotency_key": f"payment:{uuid.uuid4().hex}"}
    fields.update(overrides)
    return JournalEntry.objects.create(**fields)


# --- users ------------------------------------------------------------------------------------------------

@covers("users_user_email_ci_unique", "User.email")
def test_user_email_unique_case_insensitive():
    UserFactory(email="ada@example.com")
    rejected(lambda: UserFactory(email="ada@example.com"))
    # bulk_create skips save()'s lower-casing: the functional index on LOWER(email) still refuses it
    rejected(lambda: User.objects.bulk_create([User(username="ada2", email="ADA@Example.COM", referral_code="ZZZ11111")]))
    User.objects.bulk_create([User(username="bola", email="bola@example.com", referral_code="ZZZ22222")])


@covers("User.username")
def test_user_username_unique():
    UserFactory(username="ada")
    rejected(lambda: UserFactory(username="ada"))


@covers("User.phone_number")
def test_user_phone_unique():
    UserFactory(phone_number="+2348031234567")
    rejected(lambda: UserFactory(phone_number="+2348031234567"))
    # NULL is not a duplicate: many admins without a phone
    UserFactory(phone_number=None)
    UserFactory(phone_number=None)


@covers("User.referral_code")
def test_user_referral_code_unique():
    UserFactory(referral_code="ADA2026")
    rejected(lambda: UserFactory(referral_code="ADA2026"))


@covers("users_user_type_valid")
def test_user_type_valid():
    user = UserFactory()
    rejected(update(user, user_type="superhero"))
    update(user, user_type="entrepreneur")()


# --- entrepreneurs ----------------------------------------------------------------------------------------

@covers("entrepreneur_custom_url_ci_unique", "EntrepreneurProfile.custom_url")
def test_custom_url_unique_case_insensitive():
    EntrepreneurFactory(custom_url="ada-styles")
    rejected(lambda: EntrepreneurFactory(custom_url="ada-styles"))
    other = EntrepreneurFactory(custom_url="bola-wears")
    # bypass save(): the unique index on LOWER(custom_url) refuses a different-case duplicate
    rejected(update(other, custom_url="ADA-Styles"))
    rejected(lambda: EntrepreneurProfile.objects.bulk_create(
        [EntrepreneurProfile(user=UserFactory(), business_name="Copy", custom_url="Ada-Styles")]
    ))


@covers("EntrepreneurProfile.user")
def test_one_entrepreneur_profile_per_user():
    profile = EntrepreneurFactory()
    rejected(lambda: EntrepreneurFactory(user=profile.user))


@covers("entrepreneur_commission_rate_range")
def test_entrepreneur_commission_rate_range():
    profile = EntrepreneurFactory()
    update(profile, commission_rate=Decimal("100.00"))()
    update(profile, commission_rate=Decimal("0.00"))()
    rejected(update(profile, commission_rate=Decimal("-0.01")))
    rejected(update(profile, commission_rate=Decimal("100.01")))


@covers("entrepreneur_total_sales_gte_0", "entrepreneur_total_earnings_gte_0")
def test_entrepreneur_totals_not_negative():
    profile = EntrepreneurFactory()
    rejected(update(profile, total_sales=Decimal("-0.01")))
    rejected(update(profile, total_earnings=Decimal("-0.01")))


# --- suppliers --------------------------------------------------------------------------------------------

@covers("supplier_commission_rate_range")
def test_supplier_commission_rate_0_to_50():
    supplier = SupplierFactory()
    update(supplier, commission_rate=Decimal("0.00"))()
    update(supplier, commission_rate=Decimal("50.00"))()
    rejected(update(supplier, commission_rate=Decimal("50.01")))
    rejected(update(supplier, commission_rate=Decimal("-1.00")))


@covers("supplier_performance_rating_range")
def test_supplier_rating_0_to_5():
    supplier = SupplierFactory()
    update(supplier, performance_rating=Decimal("5.00"))()
    rejected(update(supplier, performance_rating=Decimal("5.01")))
    rejected(update(supplier, performance_rating=Decimal("-0.01")))


@covers("supplier_min_order_gte_0")
def test_supplier_minimum_order_not_negative():
    supplier = SupplierFactory()
    rejected(update(supplier, minimum_order_value=Decimal("-1.00")))


@covers("SupplierProfile.business_registration")
def test_supplier_business_registration_unique():
    SupplierFactory(business_registration="RC123456")
    rejected(lambda: SupplierFactory(business_registration="RC123456"))


@covers("SupplierProfile.user")
def test_one_supplier_profile_per_user():
    supplier = SupplierFactory()
    rejected(lambda: SupplierFactory(user=supplier.user))


# --- products ---------------------------------------------------------------------------------------------

@covers("category_not_own_parent")
def test_category_not_its_own_parent():
    category = CategoryFactory()
    child = CategoryFactory(parent=category)
    assert child.parent == category
    rejected(update(category, parent=category.pk))


@covers("Category.slug")
def test_category_slug_unique():
    CategoryFactory(slug="shoes")
    rejected(lambda: CategoryFactory(name="Shoes 2", slug="shoes"))


@covers("product_stock_gte_0")
def test_product_stock_not_negative():
    product = ProductFactory(stock_quantity=0)
    rejected(update(product, stock_quantity=-1))
    rejected(lambda: ProductFactory(stock_quantity=-5))
    assert Product.objects.get(pk=product.pk).stock_quantity == 0


@covers("product_base_price_gt_0")
def test_product_base_price_positive():
    ProductFactory(base_price=Decimal("0.01"))
    rejected(lambda: ProductFactory(base_price=Decimal("0.00")))
    rejected(lambda: ProductFactory(base_price=Decimal("-100.00")))


@covers("product_suggested_markup_range")
def test_product_suggested_markup_range():
    product = ProductFactory()
    update(product, suggested_markup=Decimal("0.00"))()
    update(product, suggested_markup=Decimal("1000.00"))()
    rejected(update(product, suggested_markup=Decimal("-0.01")))
    rejected(update(product, suggested_markup=Decimal("1000.01")))


@covers("Product.sku")
def test_product_sku_unique():
    ProductFactory(sku="ANK-001")
    rejected(lambda: ProductFactory(sku="ANK-001"))


@covers("Product.slug")
def test_product_slug_unique():
    ProductFactory(slug="ankara-dress")
    rejected(lambda: ProductFactory(slug="ankara-dress"))


@covers("variation_stock_gte_0")
def test_variation_stock_not_negative():
    variation = VariationFactory(stock_quantity=0)
    rejected(update(variation, stock_quantity=-1))
    rejected(lambda: VariationFactory(stock_quantity=-1))
    assert ProductVariation.objects.get(pk=variation.pk).stock_quantity == 0


@covers("ProductVariation.sku")
def test_variation_sku_unique():
    VariationFactory(sku="ANK-001-M")
    rejected(lambda: VariationFactory(sku="ANK-001-M"))


@covers("one_primary_image_per_product")
def test_one_primary_image_per_product():
    product = ProductFactory()
    other = ProductFactory()
    ProductImage.objects.create(product=product, image="products/a.jpg", is_primary=True)
    ProductImage.objects.create(product=product, image="products/b.jpg", is_primary=False)
    ProductImage.objects.create(product=product, image="products/c.jpg", is_primary=False)
    ProductImage.objects.create(product=other, image="products/d.jpg", is_primary=True)
    rejected(lambda: ProductImage.objects.create(product=product, image="products/e.jpg", is_primary=True))
    second = ProductImage.objects.get(image="products/b.jpg")
    rejected(update(second, is_primary=True))
    assert ProductImage.objects.filter(product=product, is_primary=True).count() == 1


@covers("inventory_adjustment_new_gte_0")
def test_inventory_adjustment_new_quantity_not_negative():
    product = ProductFactory()
    InventoryAdjustment.objects.create(product=product, previous_quantity=5, new_quantity=0)
    rejected(lambda: InventoryAdjustment.objects.create(product=product, previous_quantity=5, new_quantity=-1))


# --- social -----------------------------------------------------------------------------------------------

@covers("store_product_unique")
def test_store_product_unique_per_store():
    listing = StoreProductFactory()
    rejected(lambda: StoreProductFactory(storefront=listing.storefront, product=listing.product))
    # the same product in another store is fine
    StoreProductFactory(product=listing.product)
    assert StoreProduct.objects.filter(product=listing.product).count() == 2


@covers("store_product_price_gt_0")
def test_store_product_price_positive():
    listing = StoreProductFactory()
    rejected(update(listing, selling_price=Decimal("0.00")))
    rejected(update(listing, selling_price=Decimal("-1.00")))


@covers("storefront_cod_max_order_value_gte_0")
def test_storefront_cod_maximum_not_negative():
    storefront = StorefrontFactory()
    update(storefront, cod_max_order_value=Decimal("0.00"))()
    rejected(update(storefront, cod_max_order_value=Decimal("-0.01")))


@covers("EntrepreneurStorefront.entrepreneur")
def test_one_storefront_per_entrepreneur():
    storefront = StorefrontFactory()
    rejected(lambda: EntrepreneurStorefront.objects.create(entrepreneur=storefront.entrepreneur))


# --- orders -----------------------------------------------------------------------------------------------

@covers("Order.order_id")
def test_order_id_unique():
    order = make_order()
    rejected(lambda: make_order(order_id=order.order_id))


@pytest.mark.parametrize(
    "field", ["subtotal", "markup_amount", "commission_amount", "shipping_fee", "total_amount"]
)
@covers("order_subtotal_gte_0", "order_markup_gte_0", "order_commission_gte_0", "order_shipping_fee_gte_0",
        "order_total_gte_0")
def test_order_amounts_not_negative(field):
    order = make_order()
    update(order, **{field: Decimal("0.00")})()
    rejected(update(order, **{field: Decimal("-0.01")}))
    rejected(lambda: make_order(**{field: Decimal("-1.00")}))


@covers("order_supplier_commission_rate_range")
def test_order_supplier_commission_rate_in_range():
    order = make_order()
    update(order, supplier_commission_rate=Decimal("0.00"))()
    update(order, supplier_commission_rate=Decimal("50.00"))()
    rejected(update(order, supplier_commission_rate=Decimal("-0.01")))
    rejected(update(order, supplier_commission_rate=Decimal("50.01")))


@covers("order_cash_collected_gte_0")
def test_order_cash_collected_not_negative():
    order = make_order()
    update(order, cash_collected=None)()
    update(order, cash_collected=Decimal("0.00"))()
    rejected(update(order, cash_collected=Decimal("-0.01")))


def make_checkout(**overrides):
    fields = {"checkout_id": f"CHK{date.today():%Y%m%d}{uuid.uuid4().hex[:8].upper()}", "customer": CustomerFactory(),
              "entrepreneur": EntrepreneurFactory(), "subtotal": Decimal("1000.00"), "shipping_fee": Decimal("500.00"),
              "total_amount": Decimal("1500.00"), **overrides}
    return Checkout.objects.create(**fields)


@covers("Checkout.checkout_id")
def test_checkout_id_unique():
    checkout = make_checkout()
    rejected(lambda: make_checkout(checkout_id=checkout.checkout_id))


@covers("OrderPageToken.checkout", "OrderPageToken.token_hash")
def test_order_page_token_one_per_checkout_and_unique():
    from public.models import OrderPageToken

    first, second = make_checkout(), make_checkout()
    OrderPageToken.objects.create(checkout=first, token_hash="a" * 64)
    rejected(lambda: OrderPageToken.objects.create(checkout=first, token_hash="b" * 64))
    rejected(lambda: OrderPageToken.objects.create(checkout=second, token_hash="a" * 64))
    OrderPageToken.objects.create(checkout=second, token_hash="b" * 64)


@pytest.mark.parametrize("field", ["subtotal", "shipping_fee", "total_amount"])
@covers("checkout_subtotal_gte_0", "checkout_shipping_fee_gte_0", "checkout_total_gte_0")
def test_checkout_amounts_not_negative(field):
    checkout = make_checkout()
    update(checkout, **{field: Decimal("0.00")})()
    rejected(update(checkout, **{field: Decimal("-0.01")}))


@covers("order_status_valid")
def test_order_status_valid():
    order = make_order()
    for status in ("paid", "processing", "shipped", "delivered", "returned", "cancelled", "pending"):
        update(order, status=status)()
    rejected(update(order, status="teleported"))
    rejected(lambda: make_order(status="lost"))


@covers("order_payment_status_valid")
def test_order_payment_status_valid():
    order = make_order()
    for status in ("paid", "failed", "refunded", "pending"):
        update(order, payment_status=status)()
    rejected(update(order, payment_status="maybe"))


@pytest.mark.parametrize(
    "field", ["unit_price", "base_price", "markup_amount", "commission_amount", "total_price"]
)
@covers("order_item_unit_price_gte_0", "order_item_base_price_gte_0", "order_item_markup_gte_0",
        "order_item_commission_gte_0", "order_item_total_gte_0")
def test_order_item_amounts_not_negative(field):
    item = make_item()
    update(item, **{field: Decimal("0.00")})()
    rejected(update(item, **{field: Decimal("-0.01")}))


@covers("order_item_quantity_gte_1")
def test_order_item_quantity_at_least_one():
    item = make_item()
    rejected(update(item, quantity=0))
    rejected(lambda: make_item(order=item.order, quantity=0))


# --- payments ---------------------------------------------------------------------------------------------

@covers("Transaction.transaction_id")
def test_transaction_id_unique():
    tx = make_transaction()
    rejected(lambda: make_transaction(transaction_id=tx.transaction_id))


@covers("transaction_provider_reference_unique")
def test_transaction_provider_reference_unique():
    make_transaction(provider="paystack", provider_reference="ref-001")
    rejected(lambda: make_transaction(provider="paystack", provider_reference="ref-001"))
    # same reference at another provider, and empty references, are fine
    make_transaction(provider="flutterwave", provider_reference="ref-001")
    make_transaction(provider="paystack", provider_reference="")
    make_transaction(provider="paystack", provider_reference="")
    assert Transaction.objects.count() == 4


@covers("transaction_amount_gte_0")
def test_transaction_amount_not_negative():
    make_transaction(amount=Decimal("0.00"))
    rejected(lambda: make_transaction(amount=Decimal("-0.01")))


@covers("earnings_amount_gte_0")
def test_earnings_amount_not_negative():
    order = make_order()
    Earnings.objects.create(entrepreneur=order.entrepreneur, order=order, earning_type="markup", amount=Decimal("0.00"))
    rejected(lambda: Earnings.objects.create(entrepreneur=order.entrepreneur, order=order, earning_type="commission",
                                             amount=Decimal("-0.01")))


@covers("earnings_one_per_order_and_type")
def test_earnings_one_per_order_and_type():
    order = make_order()
    Earnings.objects.create(entrepreneur=order.entrepreneur, order=order, earning_type="markup", amount=Decimal("200.00"))
    Earnings.objects.create(entrepreneur=order.entrepreneur, order=order, earning_type="commission",
                            amount=Decimal("60.00"))
    rejected(lambda: Earnings.objects.create(entrepreneur=order.entrepreneur, order=order, earning_type="markup",
                                             amount=Decimal("200.00")))


@covers("Wallet.user")
def test_one_wallet_per_user():
    user = UserFactory()
    Wallet.objects.create(user=user)
    rejected(lambda: Wallet.objects.create(user=user))


@pytest.mark.parametrize("field", ["pending_balance", "total_earned", "total_withdrawn"])
@covers("wallet_pending_gte_0", "wallet_total_earned_gte_0", "wallet_total_withdrawn_gte_0")
def test_wallet_figures_not_negative(field):
    wallet = Wallet.objects.create(user=UserFactory())
    update(wallet, **{field: Decimal("0.00")})()
    rejected(update(wallet, **{field: Decimal("-0.01")}))
    assert getattr(Wallet.objects.get(pk=wallet.pk), field) == Decimal("0.00")


@pytest.mark.parametrize("kind", [Wallet.Kind.SUPPLIER, Wallet.Kind.ENTREPRENEUR])
def test_a_wallet_balance_may_be_negative_its_other_figures_not(kind):
    """A wallet may owe: a supplier the cash on delivery it holds (SPEC §10), anyone a released share taken back on
    a cancel or return (SPEC §6.3: debited) while it sits in a withdrawal. Every other figure stays ≥ 0."""
    wallet = Wallet.objects.create(user=UserFactory(), kind=kind)
    update(wallet, balance=Decimal("-0.01"))()
    assert Wallet.objects.get(pk=wallet.pk).balance == Decimal("-0.01")
    rejected(update(wallet, pending_balance=Decimal("-0.01")))


@covers("one_default_payment_method")
def test_one_default_payment_method_per_user():
    user = UserFactory()
    make_payment_method(user, is_default=True)
    make_payment_method(user, is_default=False)
    make_payment_method(user, is_default=True, is_active=False)  # an inactive default does not count
    make_payment_method(UserFactory(), is_default=True)  # another user's default is fine
    rejected(lambda: make_payment_method(user, is_default=True))
    second = PaymentMethod.objects.get(user=user, is_default=False)
    rejected(update(second, is_default=True))


@covers("WithdrawalRequest.reference_id")
def test_withdrawal_reference_unique():
    withdrawal = make_withdrawal()
    rejected(lambda: make_withdrawal(reference_id=withdrawal.reference_id))


@covers("withdrawal_amount_min_1000", "withdrawal_fee_gte_0", "withdrawal_net_gt_0")
def test_withdrawal_amounts():
    make_withdrawal(amount=Decimal("1000.00"), processing_fee=Decimal("50.00"), net_amount=Decimal("950.00"))
    rejected(lambda: make_withdrawal(amount=Decimal("999.99"), processing_fee=Decimal("50.00"), net_amount=Decimal("949.99")))
    rejected(lambda: make_withdrawal(processing_fee=Decimal("-1.00")))
    rejected(lambda: make_withdrawal(net_amount=Decimal("0.00")))


@covers("webhook_event_unique")
def test_webhook_event_unique_per_provider():
    WebhookEvent.objects.create(provider="paystack", event_key="charge.success:123", event_type="charge.success")
    WebhookEvent.objects.create(provider="flutterwave", event_key="charge.success:123", event_type="charge.completed")
    rejected(lambda: WebhookEvent.objects.create(provider="paystack", event_key="charge.success:123",
                                                 event_type="charge.success"))


@covers("JournalEntry.idempotency_key")
def test_journal_entry_idempotency_key_unique():
    make_journal(idempotency_key="payment:PAY20260101ABCDEF12")
    rejected(lambda: make_journal(idempotency_key="payment:PAY20260101ABCDEF12"))


@covers("ledger_entry_amount_nonzero")
def test_ledger_entry_amount_nonzero():
    journal = make_journal()
    LedgerEntry.objects.create(journal=journal, account="gateway_clearing", amount=Decimal("1700.00"))
    LedgerEntry.objects.create(journal=journal, account="platform_revenue", amount=Decimal("-1700.00"))
    rejected(lambda: LedgerEntry.objects.create(journal=journal, account="platform_revenue", amount=Decimal("0.00")))


# --- analytics --------------------------------------------------------------------------------------------

@covers("daily_metric_unique")
def test_daily_metrics_unique():
    day = date(2026, 1, 15)
    DailyMetrics.objects.create(date=day, metric_type="revenue", entity_type="entrepreneur", entity_id=1, value=10)
    DailyMetrics.objects.create(date=day, metric_type="revenue", entity_type="entrepreneur", entity_id=2, value=10)
    DailyMetrics.objects.create(date=day, metric_type="orders", entity_type="entrepreneur", entity_id=1, value=1)
    DailyMetrics.objects.create(date=day, metric_type="revenue", entity_type="supplier", entity_id=1, value=10)
    rejected(lambda: DailyMetrics.objects.create(date=day, metric_type="revenue", entity_type="entrepreneur",
                                                 entity_id=1, value=99))



@covers("analytics_event_buffer_key_unique")
def test_analytics_event_buffer_key_unique():
    from analytics.models import AnalyticsEvent

    AnalyticsEvent.objects.create(event_type="storefront_view")  # direct events have no key: any number of them
    AnalyticsEvent.objects.create(event_type="storefront_view")
    AnalyticsEvent.objects.create(event_type="storefront_view", buffer_key="a" * 32)
    rejected(lambda: AnalyticsEvent.objects.create(event_type="product_view", buffer_key="a" * 32))


# --- coverage ---------------------------------------------------------------------------------------------

def declared_constraints() -> set[str]:
    names = set()
    for model in apps.get_models():
        if model._meta.app_label not in OUR_APPS:
            continue
        names.update(constraint.name for constraint in model._meta.constraints)
        for field in model._meta.local_fields:
            if field.unique and not field.primary_key:
                names.add(f"{model.__name__}.{field.name}")
        for fields in model._meta.unique_together:
            names.add(f"{model.__name__}.unique_together{tuple(fields)}")
    return names


def test_every_constraint_is_covered():
    missing = sorted(declared_constraints() - COVERED)
    assert not missing, f"constraints without a test in tests/test_constraints.py: {missing}"


def test_spec_invariants_are_declared():
    """The invariants SPEC §3 names exist as constraints (so nobody drops one silently)."""
    required = {
        "product_stock_gte_0", "variation_stock_gte_0", "product_base_price_gt_0", "one_primary_image_per_product",
        "Order.order_id", "transaction_provider_reference_unique", "Transaction.transaction_id",
        "entrepreneur_custom_url_ci_unique", "Product.sku", "Wallet.user",
        "order_total_gte_0", "order_item_total_gte_0", "earnings_amount_gte_0", "order_status_valid",
        "supplier_commission_rate_range", "one_default_payment_method", "store_product_unique",
        "daily_metric_unique", "webhook_event_unique", "JournalEntry.idempotency_key", "users_user_email_ci_unique",
        "User.phone_number",
    }
    assert required <= declared_constraints(), sorted(required - declared_constraints())


def test_models_import():
    # keep the imports honest: every model named above is a real model of ours
    for model in (Category, Product, ProductVariation, ProductImage, SupplierProfile, EntrepreneurProfile,
                  EntrepreneurStorefront, StoreProduct, Checkout, Order, OrderItem, Transaction, Earnings, Wallet, PaymentMethod,
                  WithdrawalRequest, WebhookEvent, JournalEntry, LedgerEntry, DailyMetrics, User, InventoryAdjustment):
        assert model._meta.app_label in OUR_APPS
