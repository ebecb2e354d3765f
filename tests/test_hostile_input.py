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
from core.tests.factories import (
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
from payments.tests.factories import ADDRESS, BankMethodFactory, fund_wallet

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
    from orders.services import order_create
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
                         items=[{"product_id": product.pk, "quantity": 1}], shipping_address=ADDRESS)
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
