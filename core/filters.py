"""django-filter pieces that refuse what they do not understand (400) instead of silently not filtering."""
import django_filters
from django import forms
from django.core.exceptions import ValidationError

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
