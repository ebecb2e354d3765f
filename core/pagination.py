from collections.abc import Callable, Iterable
from functools import cached_property, partial

from django.core.paginator import Paginator
from rest_framework.pagination import PageNumberPagination

from core.cache import cached_value


class StandardPagination(PageNumberPagination):
    """``?page=`` and ``?page_size=`` (at most 100)."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


class _KnownCountPaginator(Paginator):
    def __init__(self, object_list, per_page, *, count_of: Callable, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self._count_of = count_of

    @cached_property
    def count(self) -> int:
        return self._count_of(self.object_list)


class CachedCountPagination(StandardPagination):
    """``StandardPagination`` whose total (the ``COUNT(*)`` behind ``count`` and the page links) is cached
    per version of the data (``core.cache`` tokens of ``count_scopes``) and per value of the query
    parameters it depends on (``count_params``; page, page size and ordering change no total). Every other
    page of the same list, in any order or page size, reuses it until the data changes."""

    count_name: str = ""
    count_scopes: Iterable[str] = ()
    count_params: Iterable[str] = ()

    def paginate_queryset(self, queryset, request, view=None):
        counted = set(self.count_params)
        parts = sorted((name, value) for name, values in request.query_params.lists() if name in counted
                       for value in values)

        def count_of(object_list) -> int:
            return cached_value(name=self.count_name, scopes=self.count_scopes, parts=parts,
                                compute=object_list.count)

        self.django_paginator_class = partial(_KnownCountPaginator, count_of=count_of)
        return super().paginate_queryset(queryset, request, view)
