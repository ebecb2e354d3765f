"""Product slugs and SKUs: unique, decided in a bounded number of queries."""
import uuid

from django.utils.text import slugify

from core.errors import ValidationFailed

from ..models import Product


def _slug_base(name: str) -> str:
    return slugify(name)[:150].strip("-") or "product"


def random_slug(name: str) -> str:
    """The last resort when a slug was taken between our check and our insert."""
    return f"{_slug_base(name)}-{uuid.uuid4().hex[:8]}"


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


def sku_taken(sku: str, *, exclude_pk=None) -> bool:
    queryset = Product.objects.filter(sku__iexact=sku)
    if exclude_pk is not None:
        queryset = queryset.exclude(pk=exclude_pk)
    return queryset.exists()


def duplicate_sku_error() -> ValidationFailed:
    return ValidationFailed("sku: A product with this SKU already exists.",
                            details={"sku": ["A product with this SKU already exists."]})
