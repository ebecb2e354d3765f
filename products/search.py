"""Catalog search (``?search=``): a bounded number of terms, each matched in one indexed expression.

A product matches when every term occurs (case-insensitively, as a substring) in its name, description or
SKU. The three columns are searched as one document, ``name || ' ' || description || ' ' || sku``: a term
never contains whitespace (the query is split on it), so it cannot match across the separator, and "the
term is in the document" means exactly "the term is in one of the fields". Each term is one
``UPPER(document) LIKE UPPER('%term%')``, all ANDed in the product query itself.

On PostgreSQL that expression has one ``pg_trgm`` GIN index (``products/migrations/0004``), so the terms
become one bitmap scan of that index instead of a scan of the table; on SQLite the same query runs
without it (no trigram support there) and returns the same rows.

The cost of a search grows with its terms, so a query is refused (400) beyond ``MAX_SEARCH_TERMS`` terms
or ``MAX_SEARCH_LENGTH`` characters.
"""
import re

from django.db.models import F, Func, QuerySet, TextField
from rest_framework import filters

from core.errors import ValidationFailed

MAX_SEARCH_TERMS = 8
MAX_SEARCH_LENGTH = 100
_SEPARATORS = re.compile(r"[\s,]+")


class ProductSearchDocument(Func):
    """``(name || ' ' || description || ' ' || sku)``: the expression the trigram index is built on.

    The index (migration 0004) must be on this exact expression, so keep the two in step; the PostgreSQL
    test ``test_search_index.py`` fails when the plan stops using the index.
    """

    template = "(%(expressions)s)"
    arg_joiner = " || ' ' || "
    output_field = TextField()

    def __init__(self):
        super().__init__(F("name"), F("description"), F("sku"))


def search_terms(value: str | None) -> list[str]:
    """The distinct terms of a search query; ``ValidationFailed`` (400) beyond the caps."""
    value = value or ""
    if len(value) > MAX_SEARCH_LENGTH:
        message = f"At most {MAX_SEARCH_LENGTH} characters."
        raise ValidationFailed(f"search: {message}", details={"search": [message]}, code="search_too_long")
    terms = [term for term in _SEPARATORS.split(value) if term]
    if len(terms) > MAX_SEARCH_TERMS:
        message = f"At most {MAX_SEARCH_TERMS} search terms."
        raise ValidationFailed(f"search: {message}", details={"search": [message]}, code="search_too_many_terms")
    return list(dict.fromkeys(terms))


def product_search(queryset: QuerySet, terms: list[str]) -> QuerySet:
    """Products of ``queryset`` matching every term. No term: ``queryset`` unchanged."""
    if not terms:
        return queryset
    # alias(), not annotate(): the document is only filtered on, never selected.
    queryset = queryset.alias(search_document=ProductSearchDocument())
    for term in terms:
        queryset = queryset.filter(search_document__icontains=term)
    return queryset


class ProductSearchFilter(filters.SearchFilter):
    """DRF's ``?search=`` parameter, answered by ``product_search`` (the view needs no ``search_fields``)."""

    search_description = (f"Words that must all occur in the name, description or SKU (case-insensitive; at most "
                          f"{MAX_SEARCH_TERMS} words and {MAX_SEARCH_LENGTH} characters, else 400).")

    def filter_queryset(self, request, queryset, view):
        return product_search(queryset, search_terms(request.query_params.get(self.search_param)))
