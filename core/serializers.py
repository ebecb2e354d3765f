"""What the project's serializers share."""
import copy


class FieldsBuiltOnceMixin:
    """For a ``ModelSerializer`` whose fields depend only on its class (no ``get_fields`` that reads the request,
    the instance or the context): the fields ``ModelSerializer.get_fields()`` derives from the model — field
    introspection, kwargs, relation lookups, on every instantiation — are derived once per class, and each
    instance gets its own deep copy, which is what DRF does with declared fields anyway. An order's detail or
    create response builds three of them (the order, its items, its history).

    The built fields are kept on the exact class (a subclass with its own ``Meta`` builds its own)."""

    def get_fields(self):
        cls = type(self)
        built = cls.__dict__.get("_fields_built_once")
        if built is None:
            built = super().get_fields()
            cls._fields_built_once = built  # a race stores equal values: harmless
        return copy.deepcopy(built)
