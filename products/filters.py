"""Catalog filters (django-filter): category (id or slug, with its descendants), price range, stock, supplier."""
import django_filters

from core.filters import StrictBooleanFilter

from .models import Product
from .selectors import category_and_descendants


class _OrderingWithTiebreak(django_filters.OrderingFilter):
    """``?ordering=`` with the key as the last tiebreak: products of equal price or name keep one order, so a
    product is on exactly one page of the list (no repeats or gaps between pages)."""

    def filter(self, qs, value):
        qs = super().filter(qs, value)
        return qs.order_by(*qs.query.order_by, "-id") if value else qs


class CatalogFilter(django_filters.FilterSet):
    category = django_filters.CharFilter(method="filter_category",
                                         help_text="Category id or slug; products of its sub-categories are included.")
    min_price = django_filters.NumberFilter(field_name="base_price", lookup_expr="gte")
    max_price = django_filters.NumberFilter(field_name="base_price", lookup_expr="lte")
    in_stock = StrictBooleanFilter(method="filter_in_stock", help_text="true: stock > 0; false: out of stock.")
    supplier = django_filters.NumberFilter(field_name="supplier_id")
    ordering = _OrderingWithTiebreak(
        fields=(("base_price", "price"), ("created_at", "created_at"), ("name", "name")),
        help_text="price, created_at or name; prefix with - for descending.",
    )

    class Meta:
        model = Product
        fields = ["category", "min_price", "max_price", "in_stock", "supplier"]

    def filter_category(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(category_id__in=category_and_descendants(value))

    def filter_in_stock(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(stock_quantity__gt=0) if value else queryset.filter(stock_quantity=0)


class SupplierProductFilter(django_filters.FilterSet):
    is_active = StrictBooleanFilter()
    category = django_filters.CharFilter(method="filter_category")
    in_stock = StrictBooleanFilter(method="filter_in_stock")

    class Meta:
        model = Product
        fields = ["is_active", "category", "in_stock"]

    filter_category = CatalogFilter.filter_category
    filter_in_stock = CatalogFilter.filter_in_stock
