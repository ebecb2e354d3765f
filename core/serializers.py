"""What the project's serializers share."""
import copy

from rest_framework.serializers import BaseSerializer


def _fresh(field):
    """An unbound copy of a built field for one serializer instance. A plain field's state is what its
    ``__init__`` set (binding only assigns ``field_name``, ``parent``, ``label``, ``source`` on the copy), so a
    shallow copy is enough. A field that holds fields of its own — a nested serializer, a ``ListField`` /
    ``DictField`` (``child``), a many-relation (``child_relation``), bound to it in ``__init__`` — is deep-copied,
    as DRF copies every field, so no instance shares a bound child with another."""
    if isinstance(field, BaseSerializer) or hasattr(field, "child") or hasattr(field, "child_relation"):
        return copy.deepcopy(field)
    return copy.copy(field)


class FieldsBuiltOnceMixin:
    """For a serializer whose fields depend only on its class (no ``get_fields`` that reads the request, the
    instance or the context): its fields are built once per class — for a ``ModelSerializer`` the fields
    ``get_fields()`` derives from the model (field introspection, kwargs, relation lookups), for a plain
    ``Serializer`` its declared fields, which DRF deep-copies (re-running every field's ``__init__``) on every
    instantiation — and each instance gets its own unbound copies (``_fresh``). An order's detail or create
    response builds three of them (the order, its items, its history); an order's input four (the cart, its
    lines, the address).

    The built fields are kept on the exact class (a subclass with its own ``Meta`` or fields builds its own)."""

    def get_fields(self):
        cls = type(self)
        built = cls.__dict__.get("_fields_built_once")
        if built is None:
            built = super().get_fields()
            cls._fields_built_once = built  # a race stores equal values: harmless
        return {name: _fresh(field) for name, field in built.items()}
