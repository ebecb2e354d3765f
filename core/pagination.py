from collections.abc import Callable, Iterable
from functools import cached_property, partial

from django.core.paginator import Paginator
from rest_framework.pagination import PageNumberPagination

from core.cache import cached_value, request_tokens


class StandardPagination(PageNumberPagination):
    """``?page=`` and ``?page_size=`` (at most 100)."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


# From this offset on, a windowed page (``window_by_pk``) is found by key first.
WINDOW_FROM_OFFSET = 500


class _KnownCountPaginator(Paginator):
    def __init__(self, object_list, per_page, *, count_of: Callable, window_by_pk: bool = False,
                 page_rows: Callable | None = None, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self._count_of = count_of
        self._window_by_pk = window_by_pk
        self._page_rows = page_rows

    @cached_property
    def count(self) -> int:
        return self._count_of(self.object_list)

    def page(self, number):
        """With ``window_by_pk``: the page's rows are found by their keys first — ``WHERE pk IN (SELECT pk …
        ORDER BY … LIMIT n OFFSET m)``, the same query, filters and ordering — so the rows skipped to reach a
        deep page are read off an index (an index-only scan where one covers the ordering) and only the page's
        own rows are read whole. Same rows, same order; still one query.

        Only for a list whose ordering ends in a unique key (else tied rows may come back in another order),
        without ``.distinct()`` (its ordering columns would join the subquery's one column), on a database that
        takes LIMIT inside an IN subquery (PostgreSQL and SQLite do; MySQL does not)."""
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        # (a shallow page: skipping its few rows costs less than the subquery)
        by_key = self._window_by_pk and bottom >= WINDOW_FROM_OFFSET
        if self._page_rows is not None:
            return self._get_page(self._page_rows(self.object_list, bottom, top, by_key=by_key), number, self)
        rows = window(self.object_list, bottom, top) if by_key else self.object_list[bottom:top]
        return self._get_page(rows, number, self)


def window(object_list, bottom: int, top: int):
    """``object_list[bottom:top]`` found by key first (``_KnownCountPaginator.page``): the same rows in the same
    order, the skipped ones read off an index where one covers the ordering."""
    return object_list.filter(pk__in=object_list.values("pk")[bottom:top])


class CachedCountPagination(StandardPagination):
    """``StandardPagination`` whose total (the ``COUNT(*)`` behind ``count`` and the page links) is cached
    per version of the data (``core.cache`` tokens of ``count_scopes``) and per value of the query
    parameters it depends on (``count_params``; page, page size and ordering change no total). Every other
    page of the same list, in any order or page size, reuses it until the data changes."""

    count_name: str = ""
    count_scopes: Iterable[str] = ()
    count_params: Iterable[str] = ()
    # Deep pages skip their offset on an index instead of reading every skipped row (``_KnownCountPaginator.page``).
    window_by_pk: bool = False
    # ``page_rows(object_list, bottom, top, by_key=…)``: how the page's rows are read instead of
    # ``object_list[bottom:top]`` (its own columns, joins, a prepared read…); ``by_key`` says whether this paginator
    # would find them by key (``window``: ``window_by_pk`` and a deep page). Often from ``window(object_list,
    # bottom, top)`` in any case, so that the count and the skipping stay on the plain list and neither joins what
    # only the page's rows show (a join before an unindexed ORDER BY would join every row it sorts). The same
    # conditions as ``window_by_pk``. None: the page is read as it is.
    page_rows: Callable | None = None

    def paginate_queryset(self, queryset, request, view=None):
        counted = set(self.count_params)
        parts = sorted((name, value) for name, values in request.query_params.lists() if name in counted
                       for value in values)

        known = request_tokens(request)  # the page's own cached read has just read the catalog's tokens

        def count_of(object_list) -> int:
            return cached_value(name=self.count_name, scopes=self.count_scopes, parts=parts,
                                compute=object_list.count, known=known)

        self.django_paginator_class = partial(_KnownCountPaginator, count_of=count_of, window_by_pk=self.window_by_pk,
                                              page_rows=self.page_rows)
        return super().paginate_queryset(queryset, request, view)
