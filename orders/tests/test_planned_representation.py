"""Every order and checkout serializer that represents through ``core.serializers.PlannedRepresentationMixin``
gives exactly what DRF's own ``to_representation`` gives (issue 17: the order's 201 built five serializers'
fields per response), for orders in every shape: several lines, a variation, a checkout, paid with history
written by a person and by the system, shipped with tracking, cancelled, pay on delivery."""
from decimal import Decimal

import pytest
from rest_framework import serializers
from rest_framework.test import APIRequestFactory

from core.serializers import PlannedRepresentationMixin
from orders import serializers as order_serializers
from orders.models import Checkout, Order, OrderStatus
from orders.selectors import order_get_for_user
from orders.services import OrderLine, checkout_create
from tests.factories import AdminFactory, CustomerFactory

from .factories import VALID_ADDRESS, add_variation, create_order, make_store

pytestmark = pytest.mark.django_db


def _planned_classes():
    found, todo = [], [PlannedRepresentationMixin]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            if sub.__module__ == order_serializers.__name__:
                found.append(sub)
    return found


def _drf(cls, instance, context):
    """DRF's own representation of ``instance`` by ``cls``: the plan bypassed at every level (nested too)."""
    original = PlannedRepresentationMixin.to_representation
    PlannedRepresentationMixin.to_representation = lambda self, obj: super(
        PlannedRepresentationMixin, self).to_representation(obj)
    try:
        return cls(instance, context=context).data
    finally:
        PlannedRepresentationMixin.to_representation = original


@pytest.fixture
def orders():
    store = make_store(products=3)
    variation = add_variation(store.listings[1].product, name="XL", price_modifier=Decimal("150.00"))
    customer = CustomerFactory()
    several = create_order(customer=customer, store=store, items=[
        {"product_id": store.listings[0].product_id, "quantity": 2},
        {"product_id": store.listings[1].product_id, "variation_id": variation.pk, "quantity": 1},
        {"product_id": store.listings[2].product_id, "quantity": 3}], notes="Call before 5pm",
        source_channel="whatsapp")
    shipped = create_order(customer=customer, store=store, status=OrderStatus.SHIPPED)
    cancelled = create_order(customer=customer, store=store, status=OrderStatus.CANCELLED)
    cod = create_order(customer=customer, store=store)
    Order.objects.filter(pk=cod.pk).update(payment_method="cod", cash_collected=Decimal("1700.00"))
    other = make_store(entrepreneur=store.entrepreneur)
    checkout = checkout_create(customer=customer, entrepreneur_custom_url=store.custom_url,
                               items=[OrderLine(product_id=store.product.pk, quantity=1),
                                      OrderLine(product_id=other.product.pk, quantity=2)],
                               shipping_address=dict(VALID_ADDRESS))
    admin = AdminFactory()
    ids = [several.pk, shipped.pk, cancelled.pk, cod.pk, *checkout.orders.values_list("pk", flat=True)]
    return {"orders": [order_get_for_user(user=admin, pk=pk) for pk in ids], "checkout": checkout, "admin": admin}


def test_every_planned_serializer_equals_drf(orders):
    request = APIRequestFactory().get("/api/orders/orders/")
    request.user = orders["admin"]
    context = {"request": request}
    classes = _planned_classes()
    assert {cls.__name__ for cls in classes} >= {
        "CustomerOrderSerializer", "SupplierOrderSerializer", "OrderSerializer", "CustomerOrderListSerializer",
        "SupplierOrderListSerializer", "OrderListSerializer", "CheckoutSerializer", "AdminCheckoutSerializer"}
    compared = 0
    for cls in classes:
        model = getattr(getattr(cls, "Meta", None), "model", None)
        if model is Order:
            instances = orders["orders"]
        elif model is Checkout:
            instances = [Checkout.objects.get(pk=orders["checkout"].pk)]
        elif model is not None:
            instances = [row for order in orders["orders"] for row in model.objects.filter(order=order)]
        else:  # the summaries of a party
            instances = [order.entrepreneur for order in orders["orders"][:1]] + [orders["orders"][0].customer]
        for instance in instances:
            if model is None and not all(hasattr(instance, name) for name in cls._declared_fields):
                continue
            planned = cls(instance, context=context).data
            assert planned == _drf(cls, instance, context), (cls.__name__, instance)
            compared += 1
    assert compared > 40


def test_nested_lists_come_in_their_order_and_nothing_is_shared_between_instances(orders):
    several = orders["orders"][0]
    first = order_serializers.OrderSerializer(several).data
    assert [item["product_sku"] for item in first["items"]] == [i.product_sku for i in several.items.all()]
    assert len(first["items"]) == 3 and first["notes"] == "Call before 5pm"
    second = order_serializers.OrderSerializer(orders["orders"][1]).data
    assert second["id"] != first["id"] and second["tracking_number"] == "TRK-0001"
    assert [h["status"] for h in second["status_history"]][-1] == "shipped"


class _Stamped(PlannedRepresentationMixin, serializers.Serializer):
    name = serializers.CharField()
    nickname = serializers.CharField(required=False)  # missing from a dict: skipped, as DRF skips it
    who = serializers.SerializerMethodField()

    def get_who(self, obj):
        return self.context.get("who")


class _WithUrl(PlannedRepresentationMixin, serializers.Serializer):
    picture = serializers.ImageField()  # reads the request for an absolute URL: DRF's own path


def test_methods_see_this_instances_context_and_missing_optional_values_are_skipped():
    assert _Stamped({"name": "Ada"}, context={"who": "first"}).data == {"name": "Ada", "who": "first"}
    assert _Stamped({"name": "Bo", "nickname": None}, context={"who": "second"}).data == {
        "name": "Bo", "nickname": None, "who": "second"}


def test_a_field_that_may_read_the_request_takes_drfs_path():
    assert _WithUrl({"picture": None}).data == {"picture": None}
    assert vars(_WithUrl)["_representation_plan"] is None
    assert vars(_Stamped).get("_representation_plan") is not None


class _Inner(PlannedRepresentationMixin, serializers.Serializer):
    name = serializers.CharField()
    seen_by = serializers.SerializerMethodField()

    def get_seen_by(self, obj):
        return self.context.get("who")


class _Outer(PlannedRepresentationMixin, serializers.Serializer):
    one = _Inner()
    many = _Inner(many=True)


def test_nested_serializers_get_this_requests_context():
    value = {"one": {"name": "a"}, "many": [{"name": "b"}, {"name": "c"}]}
    for who in ("first", "second"):
        assert _Outer(value, context={"who": who}).data == {
            "one": {"name": "a", "seen_by": who}, "many": [{"name": "b", "seen_by": who}, {"name": "c", "seen_by": who}]}
    assert vars(_Outer)["_representation_plan"] is not None


class _Narrowed(serializers.Serializer):
    name = serializers.CharField()

    def __init__(self, *args, upper=False, **kwargs):
        self.upper = upper
        super().__init__(*args, **kwargs)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        return {key: value.upper() for key, value in data.items()} if self.upper else data


class _WithArguments(PlannedRepresentationMixin, serializers.Serializer):
    inner = _Narrowed(upper=True)


class _WithContextDefault(PlannedRepresentationMixin, serializers.Serializer):
    owner = serializers.CharField(default=serializers.CurrentUserDefault(), read_only=False, required=False)


class _WithPictures(PlannedRepresentationMixin, serializers.Serializer):
    pictures = serializers.ListField(child=serializers.ImageField())


def test_what_a_fresh_instance_or_the_prototype_could_not_represent_takes_drfs_path():
    assert _WithArguments({"inner": {"name": "ada"}}).data == {"inner": {"name": "ADA"}}  # its own argument kept
    assert vars(_WithArguments)["_representation_plan"] is None
    _WithContextDefault({"owner": "x"}).data  # noqa: B018 — builds the plan
    assert vars(_WithContextDefault)["_representation_plan"] is None
    assert _WithPictures({"pictures": []}).data == {"pictures": []}
    assert vars(_WithPictures)["_representation_plan"] is None
