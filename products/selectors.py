"""Reads for the catalog and suppliers' product lists, with their queries planned."""
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

from django.db.models import Prefetch, Q, QuerySet

from core.errors import NotFound
from core.pagination import window
from core.prepared import SHAPE, PreparedRead
from core.validators import parse_id
from suppliers.models import SupplierProfile

from .models import Category, Product, ProductImage, ProductVariation

# The order a product's images and variations are shown in, wherever they are read (prefetch, rows, one product).
IMAGE_ORDERING = ("position", "id")
VARIATION_ORDERING = ("id",)


def catalog_visible_q(prefix: str = "") -> Q:
    """The one rule for "visible in the catalog": an active product of a verified and active supplier.

    ``prefix`` lets querysets of related models use it (``catalog_visible_q("product__")``);
    ``Product.is_catalog_visible`` is the same rule for a loaded instance.
    """
    return Q(**{f"{prefix}is_active": True}) & SupplierProfile.can_sell_q(f"{prefix}supplier__")


def catalog_products() -> QuerySet[Product]:
    """Products anyone may see and sell. The storefront and order code use the same rule."""
    return Product.objects.filter(catalog_visible_q())


def _with_relations(queryset: QuerySet[Product], *, active_variations_only: bool,
                    join: bool = True) -> QuerySet[Product]:
    """Supplier and category joined (``join``) or prefetched, then variations and images prefetched.

    The catalog prefetches them: with the join, PostgreSQL must join and sort every visible product before it
    can skip to a deep page (≈ 22 ms at OFFSET 18,000 of 20,000); without it the page is read straight off the
    ordering index and its 20 suppliers and categories cost two small IN queries."""
    variations = ProductVariation.objects.order_by(*VARIATION_ORDERING)
    if active_variations_only:
        variations = variations.filter(is_active=True)
    queryset = queryset.select_related("supplier", "category") if join else queryset.prefetch_related(
        "supplier", "category")
    return queryset.prefetch_related(
        Prefetch("variations", queryset=variations, to_attr="prefetched_variations"),
        Prefetch("images", queryset=ProductImage.objects.order_by(*IMAGE_ORDERING), to_attr="prefetched_images"),
    )


def catalog_product_list() -> QuerySet[Product]:
    """The public catalog (as model instances: one product's detail; five queries for a page of them).

    The list reads its pages from this queryset as rows: ``catalog_page_rows`` (the page with its suppliers' names
    and categories, one query) and ``catalog_page_parts`` (images, variations), plus the count (cached per catalog
    version: ``products.api.CatalogPagination``). Filtered on the stored rule (``Product.catalog_visible``,
    ``products/visibility.py``): the count and a deep page's window read the partial index
    ``product_catalog_visible_page`` without joining suppliers."""
    return _with_relations(Product.objects.filter(catalog_visible=True), active_variations_only=True,
                           join=False).order_by("-created_at", "-id")


def catalog_compact_list() -> QuerySet[Product]:
    """The catalog for ``?view=compact`` (id, name, price, thumbnail): the products' own columns and their
    images — two queries per page plus the count."""
    return (
        Product.objects.filter(catalog_visible=True)
        .only("id", "name", "base_price", "created_at")
        .prefetch_related(Prefetch("images", queryset=ProductImage.objects.order_by(*IMAGE_ORDERING),
                                   to_attr="prefetched_images"))
        .order_by("-created_at", "-id")
    )


class ProductRow(NamedTuple):
    """A catalog product's columns (``Product``) with its supplier's name and its category, as one page query reads
    them (``catalog_page_rows``): no model instance, no separate query for suppliers or categories."""

    id: int
    name: str
    slug: str
    description: str
    sku: str
    category_id: int | None
    supplier_id: int
    base_price: Decimal
    suggested_markup: Decimal
    stock_quantity: int
    weight: Decimal | None
    created_at: datetime
    updated_at: datetime
    supplier_name: str
    category_name: str | None
    category_slug: str | None


_PRODUCT_ROW_COLUMNS = (*ProductRow._fields[:13], "supplier__company_name", "category__name", "category__slug")


def catalog_page_rows(object_list: QuerySet[Product], bottom: int, top: int, *,
                      by_key: bool = True) -> list[ProductRow]:
    """One page of the catalog (``object_list`` filtered and ordered; ``bottom:top`` its slice) as ``ProductRow``
    values, the supplier and category joined — on the page's rows only, once ``core.pagination.window`` has found
    them, shallow pages too (``by_key``, the paginator's choice for a bare list, does not apply here): the window
    skips and sorts products alone (off the ordering index where one covers it), and PostgreSQL joins the page's 20
    rows by primary key (≈ 0.4 ms of planning and execution more than the bare page, against two IN queries of
    ≈ 1.5 ms each from Python). Joining before the window would join every row an unindexed ordering (price, name)
    sorts: 26 → 41 ms."""
    return [ProductRow(*row) for row in _page_values(object_list, bottom, top)]


def catalog_default_page_rows(bottom: int, top: int) -> list[ProductRow]:
    """``catalog_page_rows(catalog_product_list(), bottom, top)`` — the catalog as it opens (no filter, no search,
    the default ordering), its most asked-for list — compiled once per connection and slice (``core.prepared``). An
    empty slice (an empty catalog) is no query, as for the ORM."""
    if top <= bottom:
        return []
    return [ProductRow(*row) for row in _DEFAULT_PAGE(bottom=bottom, top=top)]


def _page_values(object_list: QuerySet[Product], bottom: int, top: int) -> QuerySet:
    return window(object_list.prefetch_related(None), bottom, top).values_list(*_PRODUCT_ROW_COLUMNS)


_DEFAULT_PAGE = PreparedRead(lambda bottom, top: _page_values(catalog_product_list(), bottom, top),
                             bottom=SHAPE, top=SHAPE)


class ImageRow(NamedTuple):
    """A product image's columns (``ProductImage``), read without building a model instance."""

    product_id: int
    id: int
    name: str  # the file's name in its storage ("" when there is no file)
    alt_text: str
    is_primary: bool
    position: int
    created_at: datetime


class VariationRow(NamedTuple):
    """A product variation's columns (``ProductVariation``), read without building a model instance."""

    product_id: int
    id: int
    name: str
    attributes: Any
    sku: str
    price_modifier: Decimal
    stock_quantity: int
    is_active: bool


@dataclass(frozen=True)
class CatalogPageParts:
    """What a catalog page shows besides the products' own columns, keyed by product id."""

    images: dict[int, list[ImageRow]]  # product id → its images in display order
    variations: dict[int, list[VariationRow]]  # product id → its active variations in id order


class CompactRow(NamedTuple):
    """What ``?view=compact`` shows of a product besides its thumbnail (``Product`` columns)."""

    id: int
    name: str
    base_price: Decimal


def catalog_compact_rows(object_list: QuerySet[Product], bottom: int, top: int, *, by_key: bool) -> list[CompactRow]:
    """One page of the compact catalog as ``CompactRow`` values: ``object_list[bottom:top]``, found by key first
    (``core.pagination.window``) when ``by_key``."""
    return [CompactRow(*row) for row in _compact_values(object_list, bottom, top, by_key)]


def catalog_default_compact_rows(bottom: int, top: int, *, by_key: bool) -> list[CompactRow]:
    """``catalog_compact_rows(catalog_compact_list(), …)`` for the catalog as it opens, compiled once per connection
    and slice (``core.prepared``), as ``catalog_default_page_rows``."""
    if top <= bottom:
        return []
    return [CompactRow(*row) for row in _DEFAULT_COMPACT_PAGE(bottom=bottom, top=top, by_key=by_key)]


def _compact_values(object_list: QuerySet[Product], bottom: int, top: int, by_key: bool) -> QuerySet:
    page = object_list.prefetch_related(None)
    page = window(page, bottom, top) if by_key else page[bottom:top]
    return page.values_list(*CompactRow._fields)


_DEFAULT_COMPACT_PAGE = PreparedRead(
    lambda bottom, top, by_key: _compact_values(catalog_compact_list(), bottom, top, by_key),
    bottom=SHAPE, top=SHAPE, by_key=SHAPE,
)


def catalog_page_images(products: Sequence[ProductRow | CompactRow]) -> dict[int, list[ImageRow]]:
    """The images of one page of the catalog, product id → its images in display order (one IN query)."""
    images: dict[int, list[ImageRow]] = defaultdict(list)
    ids = [product.id for product in products]
    if ids:
        for row in _PAGE_IMAGES(product_ids=ids):
            images[row[0]].append(ImageRow(*row))
    return images


def catalog_page_parts(products: Sequence[ProductRow]) -> CatalogPageParts:
    """The images and active variations of one page of the catalog: the same two IN queries as
    ``catalog_product_list``'s prefetches, read as rows (the list builds no model instance for them and no
    prefetch machinery; ``products.serializers.catalog_rows`` shapes them)."""
    ids = [product.id for product in products]
    variations: dict[int, list[VariationRow]] = defaultdict(list)
    if ids:
        for row in _PAGE_VARIATIONS(product_ids=ids):
            variations[row[0]].append(VariationRow(*row))
    return CatalogPageParts(images=catalog_page_images(products), variations=variations)


# Compiled once per connection and page length (core.prepared).
_PAGE_IMAGES = PreparedRead(
    lambda product_ids: ProductImage.objects.filter(product_id__in=product_ids).order_by(*IMAGE_ORDERING)
    .values_list(*ImageRow._fields[:2], "image", *ImageRow._fields[3:]),
    product_ids=list,
)
_PAGE_VARIATIONS = PreparedRead(
    lambda product_ids: ProductVariation.objects.filter(product_id__in=product_ids, is_active=True)
    .order_by(*VARIATION_ORDERING).values_list(*VariationRow._fields),
    product_ids=list,
)


def supplier_product_list(*, supplier) -> QuerySet[Product]:
    """All of a supplier's own products, active or not, with every variation."""
    return _with_relations(Product.objects.filter(supplier=supplier), active_variations_only=False).order_by(
        "-created_at", "-id"
    )


def supplier_product_get(*, supplier, product_id) -> Product:
    """One of the supplier's own products; another supplier's product is simply not found."""
    try:
        return supplier_product_list(supplier=supplier).get(pk=product_id)
    except (Product.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound("Product not found.") from exc


def category_descendant_ids(category_ids: set[int], categories: list[tuple[int, int | None]]) -> set[int]:
    """The given categories and all their descendants, from ``(id, parent_id)`` pairs (one query upstream)."""
    children: dict[int | None, list[int]] = {}
    for category_id, parent_id in categories:
        children.setdefault(parent_id, []).append(category_id)
    result: set[int] = set()
    stack = list(category_ids)
    while stack:
        current = stack.pop()
        if current in result:
            continue
        result.add(current)
        stack.extend(children.get(current, ()))
    return result


def category_and_descendants(value: str) -> set[int]:
    """Ids of the category given by id or slug and all its descendants (empty when unknown). One query."""
    rows = list(Category.objects.values_list("id", "parent_id", "slug"))
    value = str(value).strip()
    matches = {row[0] for row in rows if (parse_id(value) is not None and row[0] == parse_id(value)) or row[2] == value}
    if not matches:
        return set()
    return category_descendant_ids(matches, [(row[0], row[1]) for row in rows])


def category_tree(*, include_inactive: bool = False) -> list[dict]:
    """All categories as nested dicts (``children`` lists), built from one query."""
    queryset = Category.objects.order_by("name", "id")
    if not include_inactive:
        queryset = queryset.filter(is_active=True)
    nodes = {
        category.id: {
            "id": category.id, "name": category.name, "slug": category.slug, "description": category.description,
            "parent": category.parent_id, "is_active": category.is_active, "children": [],
        }
        for category in queryset
    }
    roots = []
    for node in nodes.values():
        parent = nodes.get(node["parent"])
        if parent is None:
            # A child of an inactive (hidden) category is hidden with it.
            if node["parent"] is None:
                roots.append(node)
        else:
            parent["children"].append(node)
    return roots


def category_subtree(*, category: Category, include_inactive: bool = False) -> dict:
    def find(nodes):
        for node in nodes:
            if node["id"] == category.id:
                return node
            found = find(node["children"])
            if found:
                return found
        return None

    return find(category_tree(include_inactive=include_inactive)) or {
        "id": category.id, "name": category.name, "slug": category.slug, "description": category.description,
        "parent": category.parent_id, "is_active": category.is_active, "children": [],
    }
