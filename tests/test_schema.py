"""The OpenAPI schema tells the truth (issue 16): valid Swagger 2.0, every operation tagged by domain with a
documented 2xx body and the error shape, and built without a single exception logged."""
import json
import logging

import pytest
from swagger_spec_validator.validator20 import validate_spec

from core.openapi import TAGS_BY_PREFIX

NO_BODY = {"204", "205"}
ERROR_STATUSES = ("400", "401", "403", "404", "429")
DOMAIN_TAGS = {tag for _, tag in TAGS_BY_PREFIX} | {"public"}


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from django.test import Client

    with django_db_blocker.unblock():
        response = Client().get("/api/schema.json")
    assert response.status_code == 200
    return json.loads(response.content)


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method != "parameters":
                yield f"{method.upper()} {path}", operation


def resolve(schema, node):
    while "$ref" in node:
        node = schema["definitions"][node["$ref"].split("/")[-1]]
    return node


def test_schema_validates_as_swagger_2(schema):
    validate_spec(json.loads(json.dumps(schema)))
    assert schema["swagger"] == "2.0"


def test_every_operation_documents_a_2xx_body_and_the_error_shape(schema):
    problems = []
    for name, operation in operations(schema):
        responses = operation["responses"]
        success = [code for code in responses if code.startswith("2")]
        if not success:
            problems.append(f"{name}: no 2xx response")
        for code in success:
            if code not in NO_BODY and "schema" not in responses[code]:
                problems.append(f"{name}: {code} has no schema")
        for code in ERROR_STATUSES:
            error = resolve(schema, responses.get(code, {}).get("schema", {}))
            if set(error.get("required", [])) != {"error", "code"} or "details" not in error.get("properties", {}):
                problems.append(f"{name}: {code} lacks the Error schema")
    assert problems == []


def test_the_error_definition_is_the_spec_shape(schema):
    error = schema["definitions"]["Error"]
    assert set(error["properties"]) == {"error", "code", "details"}
    assert error["required"] == ["error", "code"]


def test_every_operation_is_tagged_by_domain(schema):
    tags = {name: operation.get("tags") for name, operation in operations(schema)}
    assert {name: t for name, t in tags.items() if not t or len(t) != 1 or t[0] not in DOMAIN_TAGS} == {}
    used = {t[0] for t in tags.values()}
    assert used == DOMAIN_TAGS


def test_public_and_payment_endpoints_are_in_the_schema(schema):
    names = dict(operations(schema))
    for name in ("GET /{custom_url}/", "GET /{custom_url}/product/{product_slug}/", "GET /{custom_url}/share/",
                 "GET /{custom_url}/qr.svg", "POST /api/payments/initialize/", "GET /api/payments/verify/{reference}/",
                 "POST /api/payments/webhooks/paystack/", "POST /api/payments/webhooks/flutterwave/",
                 "GET /api/payments/wallet/", "GET /api/payments/earnings/summary/", "POST /api/payments/withdrawals/"):
        assert name in names, name
    storefront = resolve(schema, names["GET /{custom_url}/"]["responses"]["200"]["schema"])
    assert {"entrepreneur", "storefront", "featured_products", "all_products", "seo"} <= set(storefront["properties"])
    assert "image/svg+xml" in names["GET /{custom_url}/qr.svg"]["produces"]


@pytest.mark.django_db
def test_building_the_schema_logs_no_exception(client, caplog):
    with caplog.at_level(logging.WARNING):
        assert client.get("/api/schema.json").status_code == 200
    assert [record.getMessage() for record in caplog.records if record.name.startswith("drf_yasg")] == []
    assert [record for record in caplog.records if record.exc_info] == []
