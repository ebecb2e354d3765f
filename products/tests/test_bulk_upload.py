"""POST /api/suppliers/products/bulk_upload/ — JSON list or CSV file; valid rows created, invalid reported."""
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from products.models import Product
from tests.factories import CategoryFactory, ProductFactory, SupplierFactory

pytestmark = pytest.mark.django_db
URL = "/api/suppliers/products/bulk_upload/"


@pytest.fixture
def supplier():
    return SupplierFactory()


@pytest.fixture
def client(auth_client, supplier):
    return auth_client(supplier.user)


def row(n, **overrides):
    data = {"name": f"Bulk item {n}", "sku": f"BULK-{n:04d}", "base_price": "2500.00", "stock_quantity": 10}
    data.update(overrides)
    return data


def test_json_mixed_valid_and_invalid_rows(client, supplier):
    category = CategoryFactory(slug="fashion")
    ProductFactory(sku="EXISTING-1")
    rows = [
        row(1, category="fashion", suggested_markup="30"),
        row(2, base_price="-1"),                       # invalid price
        row(3, sku="existing-1"),                      # SKU already taken
        row(4, category=str(category.pk), weight="1.250"),
        row(5, sku="BULK-0001"),                       # duplicate within the upload
        row(6, category="no-such-category"),
        "not an object",
        {"sku": "NO-NAME", "base_price": "10"},       # name missing
    ]
    response = client.post(URL, {"products": rows}, format="json")

    assert response.status_code == 201, response.data
    body = response.json()
    assert [(p["row"], p["sku"]) for p in body["created_products"]] == [(1, "BULK-0001"), (4, "BULK-0004")]
    assert [e["row"] for e in body["errors"]] == [2, 3, 5, 6, 7, 8]
    errors = {e["row"]: e["errors"] for e in body["errors"]}
    assert "base_price" in errors[2]
    assert errors[3] == {"sku": ["A product with this SKU already exists."]}
    assert errors[5] == {"sku": ["Duplicate SKU in this upload."]}
    assert errors[6] == {"category": ["Unknown category 'no-such-category'."]}
    assert errors[7] == {"non_field_errors": ["Each row must be an object."]}
    assert "name" in errors[8]

    created = {p.sku: p for p in Product.objects.filter(supplier=supplier)}
    assert set(created) == {"BULK-0001", "BULK-0004"}
    assert created["BULK-0001"].category == category
    assert created["BULK-0001"].suggested_markup == Decimal("30.00")
    assert created["BULK-0004"].weight == Decimal("1.250")
    assert created["BULK-0001"].slug == "bulk-item-1"


def test_csv_mixed_valid_and_invalid_rows_report_file_line_numbers(client, supplier):
    CategoryFactory(slug="phones")
    csv_text = (
        "\ufeffName,SKU,base_price,category,stock_quantity,description,weight\n"   # BOM + mixed-case header
        "Tecno Spark,TEC-1,85000.00,phones,5,\"Nice, cheap phone\",\n"
        "Broken price,TEC-2,free,phones,5,,\n"
        "\n"
        "Infinix Hot,TEC-3,99000,,0,,0.2\n"
        "Negative stock,TEC-4,1000,,-2,,\n"
    )
    upload = SimpleUploadedFile("products.csv", csv_text.encode("utf-8"), content_type="text/csv")
    response = client.post(URL, {"file": upload}, format="multipart")

    assert response.status_code == 201, response.data
    body = response.json()
    assert [(p["row"], p["sku"]) for p in body["created_products"]] == [(2, "TEC-1"), (5, "TEC-3")]
    assert [(e["row"], sorted(e["errors"])) for e in body["errors"]] == [(3, ["base_price"]), (6, ["stock_quantity"])]
    tecno = Product.objects.get(sku="TEC-1")
    assert (tecno.description, tecno.base_price, tecno.stock_quantity, tecno.supplier) == (
        "Nice, cheap phone", Decimal("85000.00"), 5, supplier)
    assert Product.objects.get(sku="TEC-3").category is None


def test_all_rows_invalid_is_400_with_row_errors(client):
    response = client.post(URL, {"products": [row(1, base_price="0"), row(2, name="")]}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "No product was created; see details."
    assert [e["row"] for e in body["details"]["errors"]] == [1, 2]
    assert not Product.objects.exists()


@pytest.mark.parametrize("payload", [{}, {"products": []}, {"products": "nope"}, {"products": {"a": 1}}])
def test_empty_or_malformed_payload_is_400(client, payload):
    response = client.post(URL, payload, format="json")
    assert response.status_code == 400
    assert "products" in response.json()["details"]


def test_more_than_1000_rows_is_400_and_creates_nothing(client):
    response = client.post(URL, {"products": [row(n) for n in range(1001)]}, format="json")
    assert response.status_code == 400
    assert response.json()["details"] == {"products": ["At most 1000 rows per upload (got 1001)."]}
    assert not Product.objects.exists()

    csv_text = "name,sku,base_price\n" + "".join(f"P{n},CSV-{n},100\n" for n in range(1001))
    upload = SimpleUploadedFile("big.csv", csv_text.encode(), content_type="text/csv")
    response = client.post(URL, {"file": upload}, format="multipart")
    assert response.status_code == 400
    assert "file" in response.json()["details"]
    assert not Product.objects.exists()


def test_exactly_1000_rows_are_created_in_bounded_queries(client, supplier):
    with CaptureQueriesContext(connection) as queries:
        response = client.post(URL, {"products": [row(n) for n in range(1000)]}, format="json")
    assert response.status_code == 201
    assert len(response.json()["created_products"]) == 1000
    assert Product.objects.filter(supplier=supplier).count() == 1000
    assert len(queries.captured_queries) <= 25  # batched inserts, never one query per row


def test_query_count_does_not_depend_on_row_count(client):
    # One slug collision in each upload, so both take the slug fallback path (one extra query).
    ProductFactory(name="Bulk item 1")
    ProductFactory(name="Bulk item 100")
    with CaptureQueriesContext(connection) as few:
        assert client.post(URL, {"products": [row(n) for n in range(1, 4)]}, format="json").status_code == 201
    with CaptureQueriesContext(connection) as many:
        assert client.post(URL, {"products": [row(n) for n in range(100, 140)]}, format="json").status_code == 201
    assert len(many.captured_queries) == len(few.captured_queries)


def test_csv_without_header_or_not_utf8_is_400(client):
    upload = SimpleUploadedFile("empty.csv", b"", content_type="text/csv")
    response = client.post(URL, {"file": upload}, format="multipart")
    assert response.status_code == 400
    assert "file" in response.json()["details"]

    upload = SimpleUploadedFile("latin1.csv", "name,sku,base_price\nCaf\xe9,X,1\n".encode("latin-1"))
    response = client.post(URL, {"file": upload}, format="multipart")
    assert response.status_code == 400
    assert response.json()["details"] == {"file": ["The CSV must be UTF-8 encoded."]}


def test_csv_over_2mb_is_413(client):
    upload = SimpleUploadedFile("huge.csv", b"name,sku,base_price\n" + b"x" * (2 * 1024 * 1024 + 10))
    response = client.post(URL, {"file": upload}, format="multipart")
    assert response.status_code == 413


def test_unverified_supplier_cannot_bulk_upload(auth_client):
    supplier = SupplierFactory(verification_status="pending")
    response = auth_client(supplier.user).post(URL, {"products": [row(1)]}, format="json")
    assert response.status_code == 403
    assert not Product.objects.exists()
