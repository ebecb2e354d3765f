"""The project's DRF router: detail routes match numeric ids only (SPEC §4: anything else is a 404).

Every app registers its viewsets here instead of on DRF's ``DefaultRouter``, so a new viewset gets the
numeric lookup without remembering ``lookup_value_regex``. A viewset that really looks up by something
else (a slug, a reference) says so with its own ``lookup_value_regex``.
"""
from rest_framework.routers import DefaultRouter

NUMERIC_ID = "[0-9]+"


class Router(DefaultRouter):
    include_root_view = False
    # No ``/orders.json`` twins: nobody asks for them, and custom actions without a ``format`` argument
    # would answer them with a TypeError (a 500).
    include_format_suffixes = False

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("trailing_slash", True)
        super().__init__(*args, **kwargs)
        self._default_value_pattern = NUMERIC_ID
