"""Every write about products: suppliers' products and variations, stock, bulk upload, images, categories."""
import uuid
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Max, ProtectedError, Q
from django.db.models.functions import Lower
from django.utils.text import slugify

from core.errors import Conflict, NotFound, PayloadTooLarge, PermissionDenied, ValidationFailed
from core.images import PRODUCT_SIZE, delete_stored_file, delete_stored_file_on_commit, process_image, store_image

from .caching import invalidate_catalog, invalidate_products
from .models import Category, InventoryAdjustment, Product, ProductImage, ProductVariation
from .selectors import category_descendant_ids

MAX_BULK_ROWS = 1000
MAX_BULK_IMAGES = 10
_PRODUCT_FIELDS = ("name", "description", "category", "sku", "base_price", "suggested_markup", "weight", "is_active")
_VARIATION_FIELDS = ("name", "attributes", "sku", "price_modifier", "is_active")


def _ensure_can_sell(supplier) -> None:
    if supplier.verification_status != "verified" or not supplier.is_active:
        raise PermissionDenied("Only verified, active suppliers can manage products.")


# --- slugs ---------------------------------------------------------------------------------------

def _slug_base(name: str) -> str:
    return slugify(name)[:150].strip("-") or "product"


def unique_product_slugs(items: list[tuple[str, str]]) -> list[str]:
    """Unique slugs for ``(name, sku)`` pairs, in at most two queries whatever the number of items.

    The slug is the slugified name; when that is taken it becomes ``<name>-<sku>``, and in the rare
    case that is taken too, ``<name>-<8 random hex>``.
    """
    bases = [_slug_base(name) for name, _ in items]
    taken = set(Product.objects.filter(slug__in=set(bases)).order_by().values_list("slug", flat=True))
    slugs: list[str | None] = [None] * len(items)
    fallbacks: dict[int, str] = {}
    for index, base in enumerate(bases):
        if base in taken:
            fallbacks[index] = f"{base}-{slugify(items[index][1])[:60].strip('-') or uuid.uuid4().hex[:8]}"
        else:
            slugs[index] = base
            taken.add(base)
    if fallbacks:
        taken |= set(Product.objects.filter(slug__in=set(fallbacks.values())).order_by().values_list("slug", flat=True))
        for index, slug in fallbacks.items():
            while slug in taken:
                slug = f"{bases[index]}-{uuid.uuid4().hex[:8]}"
            slugs[index] = slug
            taken.add(slug)
    return slugs  # type: ignore[return-value]


def _sku_taken(sku: str, *, exclude_pk=None) -> bool:
    queryset = Product.objects.filter(sku__iexact=sku)
    if exclude_pk is not None:
        queryset = queryset.exclude(pk=exclude_pk)
    return queryset.exists()


def _duplicate_sku_error() -> ValidationFailed:
    return ValidationFailed("sku: A product with this SKU already exists.",
                            details={"sku": ["A product with this SKU already exists."]})


# --- products and variations ---------------------------------------------------------------------

def _new_variations(product: Product, items: list[dict[str, Any]]) -> list[ProductVariation]:
    return [
        ProductVariation(
            product=product, name=item["name"], sku=item["sku"], attributes=item.get("attributes") or {},
            price_modifier=item.get("price_modifier", Decimal("0.00")),
            stock_quantity=item.get("stock_quantity", 0), is_active=item.get("is_active", True),
        )
        for item in items
    ]


@transaction.atomic
def product_create(*, supplier, data: dict[str, Any], actor=None) -> Product:
    """A verified supplier's new product (and its variations). The slug is generated from the name."""
    _ensure_can_sell(supplier)
    data = dict(data)
    variations = data.pop("variations", None) or []
    fields = {key: data[key] for key in _PRODUCT_FIELDS if key in data}
    product = Product(supplier=supplier, stock_quantity=data.get("stock_quantity", 0), **fields)
    product.slug = unique_product_slugs([(product.name, product.sku)])[0]
    for attempt in range(2):
        try:
            with transaction.atomic():
                product.save()
            break
        except IntegrityError as exc:
            if _sku_taken(product.sku):
                raise _duplicate_sku_error() from exc
            if attempt:
                raise Conflict("Could not save the product; please retry.") from exc
            # Someone took the same slug between our check and our insert.
            product.pk = None
            product.slug = f"{_slug_base(product.name)}-{uuid.uuid4().hex[:8]}"
    if variations:
        try:
            with transaction.atomic():
                ProductVariation.objects.bulk_create(_new_variations(product, variations))
        except IntegrityError as exc:
            raise ValidationFailed("variations: A variation SKU is already taken.",
                                   details={"variations": ["A variation SKU is already taken."]}) from exc
    return product


def _lock_own_product(*, supplier, product_id) -> Product:
    try:
        return Product.objects.select_for_update().get(pk=product_id, supplier=supplier)
    except (Product.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound("Product not found.") from exc


@transaction.atomic
def product_update(*, supplier, product_id: int, data: dict[str, Any], actor=None) -> Product:
    """Change a supplier's own product. Stock changes are recorded like ``update_inventory``; variations
    with an ``id`` are updated, new ones created (variations are never deleted: order history needs them)."""
    _ensure_can_sell(supplier)
    product = _lock_own_product(supplier=supplier, product_id=product_id)
    data = dict(data)
    variations = data.pop("variations", None)
    new_stock = data.pop("stock_quantity", None)

    changed = [key for key in _PRODUCT_FIELDS if key in data]
    for key in changed:
        setattr(product, key, data[key])
    if changed:
        try:
            with transaction.atomic():
                product.save(update_fields=[*changed, "updated_at"])
        except IntegrityError as exc:
            raise _duplicate_sku_error() from exc
    if new_stock is not None:
        _set_product_stock(product, new_stock, reason="product update", actor=actor)

    if variations:
        existing_ids = [item["id"] for item in variations if "id" in item]
        locked = {
            variation.pk: variation
            for variation in ProductVariation.objects.select_for_update().filter(product=product, pk__in=existing_ids)
        }
        new_items = []
        for item in variations:
            if "id" not in item:
                new_items.append(item)
                continue
            variation = locked.get(item["id"])
            if variation is None:
                raise ValidationFailed("variations: Not a variation of this product.",
                                       details={"variations": [f"{item['id']} is not a variation of this product."]})
            fields = [key for key in _VARIATION_FIELDS if key in item]
            for key in fields:
                setattr(variation, key, item[key])
            try:
                with transaction.atomic():
                    if fields:
                        variation.save(update_fields=[*fields, "updated_at"])
            except IntegrityError as exc:
                raise ValidationFailed("variations: A variation SKU is already taken.",
                                       details={"variations": ["A variation SKU is already taken."]}) from exc
            if "stock_quantity" in item:
                _set_variation_stock(variation, item["stock_quantity"], reason="product update", actor=actor)
        if new_items:
            try:
                with transaction.atomic():
                    ProductVariation.objects.bulk_create(_new_variations(product, new_items))
                invalidate_products([product.pk])  # bulk_create sends no signals (products/caching.py)
            except IntegrityError as exc:
                raise ValidationFailed("variations: A variation SKU is already taken.",
                                       details={"variations": ["A variation SKU is already taken."]}) from exc
    return product


@transaction.atomic
def product_deactivate(*, supplier, product_id: int) -> Product:
    """Hide a product from the catalog and storefronts. It is never deleted: orders keep pointing at it."""
    product = _lock_own_product(supplier=supplier, product_id=product_id)
    if product.is_active:
        product.is_active = False
        product.save(update_fields=["is_active", "updated_at"])
    return product


def _set_product_stock(product: Product, quantity: int, *, reason: str, actor) -> InventoryAdjustment | None:
    """Caller holds the product's row lock."""
    previous = product.stock_quantity
    if previous == quantity:
        return None
    product.stock_quantity = quantity
    product.save(update_fields=["stock_quantity", "updated_at"])
    return InventoryAdjustment.objects.create(product=product, previous_quantity=previous, new_quantity=quantity,
                                              reason=reason, created_by=actor)


def _set_variation_stock(variation: ProductVariation, quantity: int, *, reason: str, actor) -> InventoryAdjustment | None:
    """Caller holds the variation's row lock."""
    previous = variation.stock_quantity
    if previous == quantity:
        return None
    variation.stock_quantity = quantity
    variation.save(update_fields=["stock_quantity", "updated_at"])
    return InventoryAdjustment.objects.create(product_id=variation.product_id, variation=variation,
                                              previous_quantity=previous, new_quantity=quantity, reason=reason,
                                              created_by=actor)


@transaction.atomic
def product_update_inventory(*, supplier, product_id: int, stock_quantity: int, variation_id: int | None = None,
                             reason: str = "", actor=None) -> InventoryAdjustment:
    """Set the absolute stock of a product (or one of its variations) under a row lock, and record it.

    The lock makes this serialise with order reservations, so a reservation is never lost between
    reading and writing the quantity. Setting the same quantity again still writes a record.
    """
    _ensure_can_sell(supplier)
    if isinstance(stock_quantity, bool) or not isinstance(stock_quantity, int) or stock_quantity < 0:
        raise ValidationFailed("stock_quantity: Must be a whole number ≥ 0.",
                               details={"stock_quantity": ["Must be a whole number ≥ 0."]})
    product = _lock_own_product(supplier=supplier, product_id=product_id)
    if variation_id is None:
        target: Product | ProductVariation = product
    else:
        try:
            target = ProductVariation.objects.select_for_update().get(pk=variation_id, product=product)
        except ProductVariation.DoesNotExist as exc:
            raise ValidationFailed("variation_id: Not a variation of this product.",
                                   details={"variation_id": ["Not a variation of this product."]}) from exc
    previous = target.stock_quantity
    target.stock_quantity = stock_quantity
    target.save(update_fields=["stock_quantity", "updated_at"])
    return InventoryAdjustment.objects.create(
        product=product, variation=None if variation_id is None else target, previous_quantity=previous,
        new_quantity=stock_quantity, reason=reason or "", created_by=actor,
    )


# --- bulk upload ---------------------------------------------------------------------------------

def products_bulk_create(*, supplier, rows: list[Any], row_numbers: list[int] | None = None,
                         actor=None) -> dict[str, list[dict]]:
    """Create the valid rows, report the invalid ones with their row numbers.

    Queries are bounded whatever the number of rows: one for categories, one for taken SKUs, at most
    two for slugs, and the batched insert. ``row_numbers`` lets a CSV report file line numbers; by
    default rows are numbered from 1. Returns ``{"created_products": [...], "errors": [{row, errors}]}``.
    """
    from .serializers import BulkRowSerializer

    _ensure_can_sell(supplier)
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
            category_id = (category_by_id.get(int(category_value)) if category_value.isdigit()
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


# --- images --------------------------------------------------------------------------------------

def _lock_product_row(product_id: int) -> None:
    # The product row is the lock that serialises "one primary image per product" decisions.
    list(Product.objects.select_for_update().filter(pk=product_id).values_list("pk", flat=True))


def product_image_add(*, product: Product, uploaded_file, is_primary: bool = False, alt_text: str = "") -> ProductImage:
    """Validate, convert (JPEG ≤ 1200×1200) and store an image under ``products/<id>/``.

    The first image of a product becomes primary; a new primary unsets the old one in the same
    transaction, under the product's row lock. The file is removed again if the row cannot be saved.
    """
    content = process_image(uploaded_file, max_size=PRODUCT_SIZE)  # CPU work before any lock
    name = store_image(content, prefix=f"products/{product.pk}")
    try:
        with transaction.atomic():
            _lock_product_row(product.pk)
            images = ProductImage.objects.filter(product_id=product.pk)
            summary = images.aggregate(last=Max("position"), primaries=Count("id", filter=Q(is_primary=True)))
            make_primary = bool(is_primary) or not summary["primaries"]
            if make_primary:
                images.filter(is_primary=True).update(is_primary=False)
            return ProductImage.objects.create(
                product_id=product.pk, image=name, alt_text=alt_text or "", is_primary=make_primary,
                position=0 if summary["last"] is None else summary["last"] + 1,
            )
    except BaseException:
        delete_stored_file(name)
        raise


def product_images_add_bulk(*, product: Product, files: list) -> tuple[list[ProductImage], list[dict]]:
    """Up to ten images; each is accepted or refused on its own. Returns (created, failures)."""
    if not files:
        raise ValidationFailed("images: Give at least one image.", details={"images": ["Give at least one image."]})
    if len(files) > MAX_BULK_IMAGES:
        raise ValidationFailed(f"images: At most {MAX_BULK_IMAGES} images per upload.",
                               details={"images": [f"At most {MAX_BULK_IMAGES} images per upload."]})
    created: list[ProductImage] = []
    failed: list[dict] = []
    for index, uploaded in enumerate(files):
        try:
            created.append(product_image_add(product=product, uploaded_file=uploaded))
        except (ValidationFailed, PayloadTooLarge) as exc:
            failed.append({"index": index, "filename": getattr(uploaded, "name", ""), "error": exc.message,
                           "status": exc.status_code})
    return created, failed


def _get_image(product_id: int, image_id) -> ProductImage:
    try:
        return ProductImage.objects.get(pk=image_id, product_id=product_id)
    except (ProductImage.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound("Image not found.") from exc


@transaction.atomic
def product_image_update(*, product: Product, image_id: int, is_primary: bool | None = None,
                         alt_text: str | None = None, position: int | None = None) -> ProductImage:
    _lock_product_row(product.pk)
    image = _get_image(product.pk, image_id)
    fields = []
    if is_primary is not None and is_primary != image.is_primary:
        if is_primary:
            ProductImage.objects.filter(product_id=product.pk, is_primary=True).update(is_primary=False)
        image.is_primary = is_primary
        fields.append("is_primary")
    if alt_text is not None:
        image.alt_text = alt_text
        fields.append("alt_text")
    if position is not None:
        image.position = position
        fields.append("position")
    if fields:
        image.save(update_fields=[*fields, "updated_at"])
    return image


@transaction.atomic
def product_image_delete(*, product: Product, image_id: int) -> None:
    """Delete the image row and, once committed, its file. A deleted primary passes the role on."""
    _lock_product_row(product.pk)
    image = _get_image(product.pk, image_id)
    name, was_primary = image.image.name, image.is_primary
    image.delete()
    if was_primary:
        successor = ProductImage.objects.filter(product_id=product.pk).order_by("position", "id").first()
        if successor is not None:
            successor.is_primary = True
            successor.save(update_fields=["is_primary", "updated_at"])
    delete_stored_file_on_commit(name)


# --- categories ----------------------------------------------------------------------------------

def _check_parent(category: Category | None, parent: Category | None) -> None:
    if category is None or parent is None:
        return
    rows = list(Category.objects.values_list("id", "parent_id"))
    if parent.pk in category_descendant_ids({category.pk}, rows):
        raise ValidationFailed("parent: A category cannot be moved under itself or one of its descendants.",
                               details={"parent": ["A category cannot be moved under itself or one of its descendants."]})


def category_create(*, data: dict[str, Any]) -> Category:
    try:
        with transaction.atomic():
            return Category.objects.create(**data)
    except IntegrityError as exc:
        raise ValidationFailed("slug: A category with this slug already exists.",
                               details={"slug": ["A category with this slug already exists."]}) from exc


@transaction.atomic
def category_update(*, category: Category, data: dict[str, Any]) -> Category:
    """Rename, re-describe, (de)activate or move a category (a move may not create a cycle)."""
    if "parent" in data:
        _check_parent(category, data["parent"])
    for key, value in data.items():
        setattr(category, key, value)
    try:
        with transaction.atomic():
            category.save(update_fields=[*data.keys(), "updated_at"])
    except IntegrityError as exc:
        raise ValidationFailed("slug: A category with this slug already exists.",
                               details={"slug": ["A category with this slug already exists."]}) from exc
    return category


@transaction.atomic
def category_delete(*, category: Category) -> None:
    """Only an empty leaf category can be deleted; otherwise 409 (move or deactivate it instead)."""
    if Product.objects.filter(category=category).exists():
        raise Conflict("This category has products; move them or deactivate the category instead.")
    if Category.objects.filter(parent=category).exists():
        raise Conflict("This category has sub-categories; move or delete them first.")
    try:
        category.delete()
    except ProtectedError as exc:
        raise Conflict("This category is still in use.") from exc
