"""django-filter pieces that refuse what they do not understand (400) instead of silently not filtering."""
import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import filters

from core.errors import ValidationFailed

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


class StrictBooleanField(forms.NullBooleanField):
    """``true``/``false`` (and 1/0, yes/no, on/off); empty means "not filtered"; anything else is invalid.
    django-filter's own boolean widget maps unknown words to "not filtered", so ``?in_stock=maybe`` would
    quietly return everything."""

    widget = forms.TextInput

    def to_python(self, value):
        if value in (None, ""):
            return None
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValidationError("Must be true or false.", code="invalid")

    def validate(self, value):
        pass


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class StrictOrderingFilter(filters.OrderingFilter):
    """DRF's ``?ordering=`` that refuses (400) a field it cannot order by; DRF's own drops it silently and
    answers in the default order, so a client never learns its sort was ignored."""

    def remove_invalid_fields(self, queryset, fields, view, request):
        terms = [term for term in fields if term]
        valid = super().remove_invalid_fields(queryset, terms, view, request)
        invalid = [term for term in terms if term not in valid]
        if invalid:
            allowed = sorted(name for name, _label in self.get_valid_fields(queryset, view, {"request": request}))
            message = f"Cannot order by {', '.join(invalid)}; use one of: {', '.join(allowed) or 'none'}."
            raise ValidationFailed(f"{self.ordering_param}: {message}", details={self.ordering_param: [message]})
        return valid


class FilterBackend(DjangoFilterBackend):
    """``DjangoFilterBackend`` that builds no FilterSet (nor its form) for a request naming none of its filters:
    the unfiltered page — most requests of any list — costs no filter work, and an absent filter cannot
    filter anything. A request that names one is validated and filtered exactly as before."""

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None and not any(name in request.query_params
                                                   for name in filterset_class.base_filters):
            return queryset
        return super().filter_queryset(request, queryset, view)
