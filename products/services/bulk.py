"""Bulk upload: many products at once, from a JSON list or a CSV file; valid rows created, the rest reported.

New products start with the stock their row gives (an insert, not a stock write: see ``products.stock``).
"""
import csv
import io
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models.functions import Lower

from core.errors import Conflict, PayloadTooLarge, ValidationFailed
from core.validators import parse_id
from products.caching import invalidate_catalog

from ..models import Category, Product
from ..serializers import BulkRowSerializer
from .catalog import require_seller
from .slugs import unique_product_slugs

MAX_BULK_ROWS = 1000
MAX_CSV_BYTES = 2 * 1024 * 1024


@transaction.atomic
def products_bulk_create(*, supplier, rows: list[Any], row_numbers: list[int] | None = None,
                         actor=None) -> dict[str, list[dict]]:
    """Create the valid rows, report the invalid ones with their row numbers.

    Queries are bounded whatever the number of rows: one for categories, one for taken SKUs, at most
    two for slugs, and the batched insert. ``row_numbers`` lets a CSV report file line numbers; by
    default rows are numbered from 1. Returns ``{"created_products": [...], "errors": [{row, errors}]}``.
    """
    require_seller(supplier)
    if not isinstance(rows, list) or not rows:
        raise ValidationFailed("products: Give at least one product.", details={"products": ["Give at least one product."]})
    if len(rows) > MAX_BULK_ROWS:
        raise ValidationFailed(
            f"products: At most {MAX_BULK_ROWS} rows per upload (got {len(rows)}).",
            details={"products": [f"At most {MAX_BULK_ROWS} rows per upload (got {len(rows)})."]},
        )
    numbers = row_numbers or list(range(1, len(rows) + 1))

    categories = list(Category.objects.values_list("id", "slug"))
    category_by_id = {category_id: category_id for category_id, _ in categories}
    category_by_slug = {slug: category_id for category_id, slug in categories}

    errors: list[dict] = []
    valid: list[tuple[int, dict]] = []
    for number, row in zip(numbers, rows, strict=True):
        if not isinstance(row, dict):
            errors.append({"row": number, "errors": {"non_field_errors": ["Each row must be an object."]}})
            continue
        serializer = BulkRowSerializer(data=row)
        if not serializer.is_valid():
            errors.append({"row": number, "errors": serializer.errors})
            continue
        data = dict(serializer.validated_data)
        category_value = (data.pop("category", "") or "").strip()
        category_id = None
        if category_value:
            category_id = (category_by_id.get(parse_id(category_value)) if parse_id(category_value) is not None
                           else category_by_slug.get(category_value))
            if category_id is None:
                errors.append({"row": number, "errors": {"category": [f"Unknown category {category_value!r}."]}})
                continue
        data["category_id"] = category_id
        valid.append((number, data))

    # SKUs: unique within the upload and not already taken (case-insensitive), one query.
    lowered = {data["sku"].lower() for _, data in valid}
    taken = set(
        Product.objects.annotate(sku_lower=Lower("sku")).filter(sku_lower__in=lowered).order_by()
        .values_list("sku_lower", flat=True)
    ) if lowered else set()
    seen: set[str] = set()
    accepted: list[tuple[int, dict]] = []
    for number, data in valid:
        key = data["sku"].lower()
        if key in taken:
            errors.append({"row": number, "errors": {"sku": ["A product with this SKU already exists."]}})
        elif key in seen:
            errors.append({"row": number, "errors": {"sku": ["Duplicate SKU in this upload."]}})
        else:
            seen.add(key)
            accepted.append((number, data))

    created: list[dict] = []
    if accepted:
        slugs = unique_product_slugs([(data["name"], data["sku"]) for _, data in accepted])
        products = [
            Product(supplier=supplier, slug=slug, **data) for (_, data), slug in zip(accepted, slugs, strict=True)
        ]
        for product in products:  # bulk_create does not call save(), which keeps the flag
            product.catalog_visible = product.is_catalog_visible
        try:
            with transaction.atomic():
                products = Product.objects.bulk_create(products)
            invalidate_catalog()  # bulk_create sends no signals (products/caching.py)
        except IntegrityError as exc:
            raise Conflict("Another upload took some of these SKUs or slugs at the same time; please retry.") from exc
        created = [
            {"row": number, "id": product.pk, "name": product.name, "sku": product.sku, "slug": product.slug}
            for (number, _), product in zip(accepted, products, strict=True)
        ]
    errors.sort(key=lambda item: item["row"])
    return {"created_products": created, "errors": errors}


def bulk_rows_from_csv(uploaded) -> tuple[list[dict], list[int]]:
    """Rows of an uploaded CSV with a header row, and their line numbers (the header is line 1)."""
    if uploaded.size > MAX_CSV_BYTES:
        raise PayloadTooLarge("The CSV file is larger than 2 MB.", details={"file": ["At most 2 MB."]})
    raw = uploaded.read(MAX_CSV_BYTES + 1)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        message = "The CSV must be UTF-8 encoded."
        raise ValidationFailed(f"file: {message}", details={"file": [message]}) from exc
    if "\x00" in text:  # Python's csv module accepts NUL; PostgreSQL would refuse it at save time
        message = "The CSV contains a NUL character."
        raise ValidationFailed(f"file: {message}", details={"file": [message]})
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        if not reader.fieldnames:
            raise ValidationFailed("file: The CSV needs a header row.", details={"file": ["The CSV needs a header row."]})
        reader.fieldnames = [(name or "").strip().lower() for name in reader.fieldnames]
        rows, numbers = [], []
        for row in reader:
            if not any((value or "").strip() for key, value in row.items() if key and isinstance(value, str)):
                continue  # blank line
            rows.append(row)
            numbers.append(reader.line_num)
            if len(rows) > MAX_BULK_ROWS:
                break
    except csv.Error as exc:
        raise ValidationFailed(f"file: Unreadable CSV ({exc}).", details={"file": [f"Unreadable CSV ({exc})."]}) from exc
    if len(rows) > MAX_BULK_ROWS:
        raise ValidationFailed(
            f"file: At most {MAX_BULK_ROWS} rows per upload.",
            details={"file": [f"At most {MAX_BULK_ROWS} rows per upload."]},
        )
    return rows, numbers
