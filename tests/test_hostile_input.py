"""Hostile input never reaches a 500 (SPEC §4), on every route the project serves.

The walk iterates Django's URL resolver, so a route added tomorrow is covered without editing this file, and
sends each route, as every role (anonymous, customer, entrepreneur, supplier, admin) and with every method
the view answers:

- bodies: JSON nested 1,000 deep (arrays and objects), NUL in values and keys, bodies that are a list / a
  string / null / a number, and objects whose every field has the wrong type or an overflowing number;
- query strings: NUL in every known parameter, wrong types and unknown enum values;
- path parameters: NUL where a string is taken, ``abc`` / ``None`` where an id is taken (→ 404 exactly).

Field and query parameter names come from the project's own OpenAPI schema (``/api/schema.json``).
The structural checks beside it fail when a new route takes an id without a numeric converter, or a view
parses bodies with a parser other than ``core.parsers``'.
"""
import json
import re
import traceback
from decimal import Decimal

import pytest
from django.core.signals import got_request_exception
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import IntConverter
from django.urls.resolvers import RegexPattern, RoutePattern
from rest_framework.parsers import BaseParser
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from core import parsers as core_parsers
from payments.tests.factories import ADDRESS, BankMethodFactory, fund_wallet
from tests.factories import (
    AdminFactory,
    CategoryFactory,
    CustomerFactory,
    EntrepreneurFactory,
    ProductFactory,
    StorefrontFactory,
    StoreProductFactory,
    SupplierFactory,
    VariationFactory,
)

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "customer", "entrepreneur", "supplier", "admin")
WRITE_METHODS = ("post", "put", "patch")
ID_PARAM = re.compile(r"^(pk|id|.+_id)$")
NUMERIC_REGEXES = {"[0-9]+", r"\d+"}
# Query parameters every list endpoint may read, besides those the schema names.
COMMON_QUERY = ("status", "search", "product", "product_id", "page", "page_size", "ordering", "days", "category",
                "min_price", "max_price", "in_stock", "is_active", "format")


# --- the URL resolver, flattened -------------------------------------------------------------------------

class Route:
    """One URL pattern with its full template (``/api/orders/orders/{pk}/``) and its parameters' kinds."""

    def __init__(self, pieces, pattern: URLPattern):
        self.pattern = pattern
        self.callback = pattern.callback
        self.params: dict[str, str] = {}  # name → "int" | regex body | "str"/"slug"/"path"
        template = ""
        for piece in pieces:
            template += self._template(piece)
        self.template = "/" + template.replace("//", "/")

    def _template(self, piece) -> str:
        if isinstance(piece, RoutePattern):
            route = str(piece)
            for name, converter in piece.converters.items():
                self.params[name] = "int" if isinstance(converter, IntConverter) else type(converter).__name__
            return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)
        assert isinstance(piece, RegexPattern), piece
        regex = piece._regex.lstrip("^").rstrip("$").replace("\\Z", "")

        def group(match):
            name, body = match.group(1), match.group(2)
            self.params[name] = "int" if body in NUMERIC_REGEXES else body
            return "{" + name + "}"

        regex = re.sub(r"\(\?P<(\w+)>((?:[^()]|\([^()]*\))*)\)", group, regex)
        return regex.replace("/?", "/").replace("\\.", ".").replace("\\", "")

    @property
    def view_class(self):
        return getattr(self.callback, "cls", None) or getattr(self.callback, "view_class", None)

    @property
    def name(self) -> str:
        return self.pattern.name or ""

    def methods(self) -> list[str]:
        actions = getattr(self.callback, "actions", None)
        if actions:
            return sorted(actions)
        cls = self.view_class
        if cls is not None:
            return [m for m in ("get", "post", "put", "patch", "delete") if hasattr(cls, m)]
        return ["get", "post"]

    def __repr__(self):
        return self.template


def all_routes() -> list[Route]:
    routes = []

    def walk(patterns, pieces):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, [*pieces, entry.pattern])
            else:
                routes.append(Route([*pieces, entry.pattern], entry))

    walk(get_resolver().url_patterns, [])
    return routes


def is_admin_site(route: Route) -> bool:
    return route.template.startswith("/admin/")


# --- structural guards: a new route without the protections fails here ----------------------------------

def test_every_id_in_a_path_is_numeric():
    offenders = [(route.template, name, kind) for route in all_routes() if not is_admin_site(route)
                 for name, kind in route.params.items() if ID_PARAM.match(name) and kind != "int"]
    assert offenders == []


def test_every_api_view_parses_bodies_with_the_project_parsers():
    offenders = []
    for route in all_routes():
        cls = route.view_class
        for parser in getattr(cls, "parser_classes", None) or []:
            if issubclass(parser, BaseParser) and parser.__module__ != core_parsers.__name__:
                offenders.append((route.template, parser.__name__))
    assert offenders == []


def test_the_walk_sees_the_whole_api():
    templates = {route.template for route in all_routes()}
    assert "/api/payments/withdrawals/{pk}/approve/" in templates
    assert "/api/payments/verify/{reference}/" in templates
    assert "/{custom_url}/qr.svg" in templates
    assert len([t for t in templates if t.startswith("/api/")]) >= 40


# --- the data every role owns ----------------------------------------------------------------------------

@pytest.fixture
def world():
    from orders.services import OrderLine, order_create
    from payments import services as payment_services

    admin = AdminFactory()
    supplier = SupplierFactory()
    category = CategoryFactory()
    product = ProductFactory(supplier=supplier, category=category, stock_quantity=50)
    variation = VariationFactory(product=product)
    entrepreneur = EntrepreneurFactory()
    storefront = StorefrontFactory(entrepreneur=entrepreneur)
    store_product = StoreProductFactory(storefront=storefront, product=product)
    customer = CustomerFactory()
    order = order_create(customer=customer, entrepreneur_custom_url=entrepreneur.custom_url,
                         items=[OrderLine(product_id=product.pk, quantity=1)], shipping_address=ADDRESS)
    method = BankMethodFactory(user=entrepreneur.user)
    fund_wallet(entrepreneur.user, Decimal("5000.00"))
    withdrawal = payment_services.withdrawal_create(user=entrepreneur.user, amount=Decimal("1000.00"),
                                                    payment_method_id=method.pk)
    users = {"customer": customer, "entrepreneur": entrepreneur.user, "supplier": supplier.user, "admin": admin}
    ids = {"order": order.pk, "payment-method": method.pk, "withdrawal": withdrawal.pk, "category": category.pk,
           "catalog-product": product.pk, "supplier-product": product.pk, "supplier-profile": supplier.pk,
           "store-product": store_product.pk, "product_id": product.pk, "variation": variation.pk}
    strings = {"custom_url": entrepreneur.custom_url, "product_slug": product.slug, "image_type": "profile",
               "reference": order.order_id, "format": "json", "path": "missing.png", "app_label": "orders",
               "object_id": str(order.pk), "content_type_id": "1"}
    return {"users": users, "ids": ids, "strings": strings}


def client_for(role, world):
    client = APIClient()
    client.raise_request_exception = False
    if role != "anonymous":
        user = world["users"][role]
        client.force_login(user)  # the admin site and HTML pages use the session
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


def param_value(route: Route, name: str, world) -> str:
    kind = route.params[name]
    if kind == "int":
        if name in world["ids"]:
            return str(world["ids"][name])
        for prefix, value in world["ids"].items():
            if route.name.startswith(prefix):
                return str(value)
        return "1"
    candidates = [world["strings"].get(name, ""), "orders", "json", "1", "abc"]
    if kind in ("StringConverter", "SlugConverter", "PathConverter"):
        return candidates[0] or "abc"
    return next((c for c in candidates if c and re.fullmatch(kind, c)), "abc")


def url_for(route: Route, world, **override) -> str:
    values = {name: override.get(name) or param_value(route, name, world) for name in route.params}
    return route.template.format(**values)


# --- payloads ----------------------------------------------------------------------------------------------

_schema_cache: dict = {}


def schema_names() -> tuple[dict, set]:
    """Body field names with their schema types, and query parameter names, from the project's own schema."""
    if not _schema_cache:
        response = APIClient().get("/api/schema.json")
        assert response.status_code == 200
        schema = response.json()
        fields: dict[str, set] = {}
        queries: set[str] = set(COMMON_QUERY)

        def collect(node):
            if isinstance(node, dict):
                if "$ref" in node:
                    collect(schema["definitions"][node["$ref"].rsplit("/", 1)[-1]])
                    return
                for name, prop in (node.get("properties") or {}).items():
                    fields.setdefault(name, set()).add(prop.get("type", "object"))
                    if prop.get("type") in ("object", "array"):
                        collect(prop.get("items") or prop)
        for operations in schema["paths"].values():
            for operation in operations.values():
                for parameter in (operation.get("parameters") or []) if isinstance(operation, dict) else []:
                    if parameter.get("in") == "query":
                        queries.add(parameter["name"])
                    elif parameter.get("in") == "body":
                        collect(parameter.get("schema", {}))
                    elif parameter.get("in") == "formData":
                        fields.setdefault(parameter["name"], set()).add(parameter.get("type", "string"))
        _schema_cache.update(fields=fields, queries=queries)
    return _schema_cache["fields"], _schema_cache["queries"]


def body_payloads() -> list[tuple[str, str]]:
    """(label, raw JSON text) pairs; raw text so that invalid documents reach the parser as they are."""
    fields, _ = schema_names()
    names = sorted(fields)
    every = lambda value: {name: value for name in names}  # noqa: E731
    nul = {**every("a\x00b"), "\x00": "key", "metadata": {"k\x00": "v"}, "attributes": {"size\x00": "M"}}
    return [
        ("nested-array", "[" * 1000 + "]" * 1000),
        ("nested-object", '{"a":' * 1000 + "1" + "}" * 1000),
        ("unclosed-nesting", "[" * 100_000),
        ("nul-escaped", json.dumps(nul)),
        ("list", "[]"), ("string", '"products"'), ("null", "null"), ("number", "12"),
        ("strings-everywhere", json.dumps(every("x"))),
        ("objects-everywhere", json.dumps(every({"a": [1, {"b": None}]}))),
        ("lists-everywhere", json.dumps(every([1, "x", None]))),
        ("huge-numbers", json.dumps(every(10**30))),
        ("huge-decimals", json.dumps(every("99999999999999999999999.99"))),
        ("negative-numbers", json.dumps(every(-(2**63)))),
        ("nan", '{"amount": NaN, "quantity": Infinity}'),
    ]


def query_payloads() -> list[tuple[str, dict]]:
    _, queries = schema_names()
    return [
        ("nul-query", {name: "a\x00b" for name in sorted(queries)}),
        ("wrong-query", {name: "not-a-valid-value" for name in sorted(queries)}),
        ("huge-query", {name: "9" * 40 for name in sorted(queries)}),
        ("negative-query", {name: "-1" for name in sorted(queries)}),
    ]


# --- the walk -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ROLES)
def test_no_route_answers_hostile_input_with_a_server_error(role, world):
    client = client_for(role, world)
    failures, requests = [], 0
    errors: list[str] = []

    def capture(sender, request=None, **kwargs):
        errors.append(traceback.format_exc(limit=-3))

    got_request_exception.connect(capture, weak=False)
    try:
        for route in all_routes():
            if is_admin_site(route) and role not in ("anonymous", "admin"):
                continue
            methods = ["get"] if is_admin_site(route) else route.methods()
            url = url_for(route, world)
            attempts = []
            for label, query in query_payloads()[:1] if is_admin_site(route) else query_payloads():
                attempts.append(("get" if "get" in methods else methods[0], url, label, {"data": query}))
            if not is_admin_site(route):
                for method in methods:
                    if method in WRITE_METHODS:
                        for label, raw in body_payloads():
                            attempts.append((method, url, label, {"data": raw, "content_type": "application/json"}))
                        attempts.append((method, url, "nul-form", {"data": {"name": "a\x00b", "\x00": "x"},
                                                                   "format": "multipart"}))
            for name, kind in route.params.items():
                if is_admin_site(route) and name != "object_id":
                    continue  # Django's own admin: its object pages are enough
                for bad in (("abc", "None") if kind == "int" else ("%00", "a%00b")):
                    bad_url = route.template.format(**{n: (bad if n == name else param_value(route, n, world))
                                                       for n in route.params})
                    for method in methods:
                        attempts.append((method, bad_url, f"path-{name}={bad}", {}))
            for method, target, label, kwargs in attempts:
                requests += 1
                errors.clear()
                response = getattr(client, method)(target, **kwargs)
                expect_404 = label.startswith("path-") and label.endswith(("=abc", "=None")) and not is_admin_site(route)
                if response.status_code >= 500 or (expect_404 and response.status_code != 404):
                    failures.append((role, method.upper(), route.template, label, response.status_code,
                                     errors[-1].strip().splitlines()[-1] if errors else
                                     response.content[:200].decode(errors="replace")))
    finally:
        got_request_exception.disconnect(capture)
    print(f"{role}: {requests} requests")
    assert failures == [], "\n".join(map(str, failures))


# --- the cases issue 11 reproduced, one by one ---------------------------------------------------------------

def _json(client, method, url, raw):
    return getattr(client, method)(url, data=raw, content_type="application/json")


@pytest.mark.parametrize("raw", ["[" * 1000 + "]" * 1000, '{"a":' * 1000 + "1" + "}" * 1000, "[" * 100_000,
                                 json.dumps(json.loads("[" * 33 + "]" * 33))])
def test_deeply_nested_json_is_a_400_in_the_error_shape_on_an_anonymous_endpoint(raw):
    response = _json(APIClient(), "post", "/api/users/register/", raw)
    assert response.status_code == 400
    body = response.json()
    assert set(body) <= {"error", "code", "details"} and "nested deeper than 32" in body["error"]


def test_json_nested_within_the_limit_still_reaches_the_serializer():
    response = _json(APIClient(), "post", "/api/users/register/", json.dumps({"username": [[[["x"]]]]}))
    assert response.status_code == 400 and "username" in response.json()["details"]


@pytest.mark.parametrize("raw", ['{"a": 1', "NaN", '{"amount": Infinity}', b"\xff\xfe{}"])
def test_undecodable_json_is_a_400(raw):
    response = APIClient().post("/api/users/register/", data=raw, content_type="application/json")
    assert response.status_code == 400 and response.json()["error"]


def test_nul_in_analytics_metadata_is_a_400_and_nothing_is_recorded(world):
    from analytics.models import AnalyticsEvent

    store = world["strings"]["custom_url"]
    for metadata in ({"note": "a\u0000b"}, {"k\u0000": "v"}, {"deep": [{"x": ["\u0000"]}]}):
        response = _json(APIClient(), "post", "/api/analytics/track/",
                         json.dumps({"event_type": "store_view", "custom_url": store, "metadata": metadata}))
        assert response.status_code == 400, response.content
        assert "NUL" in response.json()["error"]
    assert not AnalyticsEvent.objects.exists()


def test_nul_in_store_contact_info_is_a_400_and_the_store_is_unchanged(world):
    from social.models import EntrepreneurStorefront

    client = client_for("entrepreneur", world)
    before = EntrepreneurStorefront.objects.get(entrepreneur__user=world["users"]["entrepreneur"]).contact_info
    response = _json(client, "patch", "/api/social/storefront/", json.dumps({"contact_info": {"phone": "0803\x00"}}))
    assert response.status_code == 400
    assert EntrepreneurStorefront.objects.get(entrepreneur__user=world["users"]["entrepreneur"]).contact_info == before


def test_nul_in_supplier_bank_details_and_delivery_areas_is_a_400_and_no_account_is_made():
    from suppliers.models import SupplierProfile

    base = {"username": "nulsupplier", "email": "nul@example.com", "phone_number": "+2348031110000",
            "password": "Sup3r-Secret-pass!", "password2": "Sup3r-Secret-pass!", "company_name": "Nul Ltd",
            "business_registration": "RC999", "address": "1 Road", "contact_person": "Ada"}
    for extra in ({"bank_details": {"account_number": "0123\x00"}}, {"delivery_areas": ["Lagos", "\x00"]}):
        response = _json(APIClient(), "post", "/api/suppliers/profiles/register/", json.dumps({**base, **extra}))
        assert response.status_code == 400, response.content
    assert not SupplierProfile.objects.filter(company_name="Nul Ltd").exists()


def test_nul_in_payment_method_details_is_a_400(world):
    from payments.models import PaymentMethod

    client = client_for("entrepreneur", world)
    before = PaymentMethod.objects.count()
    response = _json(client, "post", "/api/payments/payment-methods/", json.dumps(
        {"method_type": "bank_transfer", "details": {"account_number": "0123456789", "bank_code": "058",
                                                     "account_name": "Ada\x00"}}))
    assert response.status_code == 400 and PaymentMethod.objects.count() == before


def test_nul_in_a_multipart_form_is_a_400(world):
    response = client_for("supplier", world).post("/api/suppliers/products/", {"name": "a\x00b", "sku": "X"},
                                                  format="multipart")
    assert response.status_code == 400 and "NUL" in response.json()["error"]


def test_nul_in_a_csv_upload_is_a_400(world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    csv_file = SimpleUploadedFile("p.csv", b"name,sku,base_price\nLamp\x00,L-1,1000\n", content_type="text/csv")
    response = client_for("supplier", world).post("/api/suppliers/products/bulk_upload/", {"file": csv_file},
                                                  format="multipart")
    assert response.status_code == 400 and "NUL" in response.json()["error"]


@pytest.mark.parametrize("url", ["/api/orders/orders/?status=%00", "/api/products/products/?search=a%00b",
                                 "/api/payments/verify/%00/", "/api/payments/verify/PJ%00x/", "/api/users/login/?%00=1"])
def test_nul_in_the_url_is_a_400(url, world):
    response = client_for("customer", world).get(url)
    assert response.status_code == 400
    assert response.json() == {"code": "nul_character", "error": "The request contains a NUL character.",
                               "details": {"url": ["NUL characters are not allowed."]}}


def test_nul_in_the_qr_code_product_is_a_400(world):
    response = APIClient().get(f"/{world['strings']['custom_url']}/qr.svg?product=%00")
    assert response.status_code == 400


@pytest.mark.parametrize("bad", ["abc", "None", "1.5", "-1", "%20"])
def test_a_non_numeric_id_is_a_404(bad, world):
    admin = client_for("admin", world)
    assert admin.post(f"/api/payments/withdrawals/{bad}/approve/", {}, format="json").status_code == 404
    assert admin.get(f"/api/orders/orders/{bad}/").status_code == 404
    assert admin.get(f"/api/suppliers/profiles/{bad}/").status_code == 404
    assert admin.delete(f"/api/payments/payment-methods/{bad}/").status_code == 404


def test_an_id_beyond_the_integer_column_is_a_404(world):
    admin = client_for("admin", world)
    assert admin.get(f"/api/orders/orders/{'9' * 30}/").status_code == 404
    assert admin.post(f"/api/payments/withdrawals/{'9' * 30}/approve/", {}, format="json").status_code == 404


@pytest.mark.parametrize("raw", ["[" * 1000 + "]" * 1000, '{"event": "charge.success", "data": {"reference": "\\u0000"}}',
                                 '{"event": "charge.success\\u0000", "data": {}}', "[]", "NaN"])
def test_a_signed_webhook_with_a_hostile_body_is_a_400_and_nothing_is_stored(raw):
    from payments.models import WebhookEvent
    from payments.tests.factories import paystack_sign

    body = raw.encode()
    response = APIClient().post("/api/payments/webhooks/paystack/", data=body, content_type="application/json",
                                HTTP_X_PAYSTACK_SIGNATURE=paystack_sign(body))
    assert response.status_code == 400, response.content
    assert not WebhookEvent.objects.exists()


@pytest.mark.parametrize("raw", ["[]", '[{"name": "Lamp"}]', "null", '"products"', "7"])
def test_bulk_upload_with_a_body_that_is_not_an_object_is_a_400(raw, world):
    response = _json(client_for("supplier", world), "post", "/api/suppliers/products/bulk_upload/", raw)
    assert response.status_code == 400, response.content
    assert "products" in response.json()["error"]


def test_an_order_whose_total_overflows_the_money_columns_is_a_400_before_saving(world, settings):
    from orders.models import Order
    from products.models import Product

    settings.ORDER_MAX_UNPAID_UNITS_PER_PRODUCT = settings.ORDER_MAX_UNPAID_UNITS = 1_000_000
    entrepreneur = EntrepreneurFactory()
    product = ProductFactory(base_price=Decimal("9999999999.99"), stock_quantity=10_000)
    StoreProductFactory(storefront=StorefrontFactory(entrepreneur=entrepreneur), product=product,
                        selling_price=Decimal("9999999999.99"))
    orders_before = Order.objects.count()
    response = client_for("customer", world).post("/api/orders/orders/", {
        "entrepreneur_custom_url": entrepreneur.custom_url, "shipping_address": ADDRESS,
        "items": [{"product_id": product.pk, "quantity": 10_000}]}, format="json")
    assert response.status_code == 400, response.content
    assert "total_amount" in response.json()["details"]
    assert Order.objects.count() == orders_before
    assert Product.objects.get(pk=product.pk).stock_quantity == 10_000


@pytest.mark.parametrize("field, value", [("base_price", "10000000000.00"), ("base_price", "1e30"),
                                          ("stock_quantity", 2**31), ("suggested_markup", "10000.00")])
def test_product_numbers_beyond_their_columns_are_a_400(world, field, value):
    payload = {"name": "Lamp", "sku": "LAMP-1", "base_price": "1000.00", field: value}
    response = client_for("supplier", world).post("/api/suppliers/products/", payload, format="json")
    assert response.status_code == 400 and field in response.json()["details"], response.content


def test_selling_price_beyond_its_column_is_a_400(world):
    response = client_for("entrepreneur", world).post("/api/social/store-products/", {
        "product": world["ids"]["catalog-product"], "selling_price": "99999999999.00"}, format="json")
    assert response.status_code == 400, response.content


@pytest.mark.parametrize("role, url", [
    ("customer", "/api/orders/orders/?status=bogus"),
    ("supplier", "/api/suppliers/profiles/my_orders/?status=bogus"),
    ("supplier", "/api/suppliers/profiles/my_products/?is_active=maybe"),
    ("anonymous", "/api/products/products/?in_stock=maybe"),
    ("anonymous", "/api/products/products/?ordering=bogus"),
    ("anonymous", "/api/products/products/?min_price=cheap"),
])
def test_unknown_filter_values_are_a_400(role, url, world):
    response = client_for(role, world).get(url)
    assert response.status_code == 400, response.content
    assert response.json()["details"]
