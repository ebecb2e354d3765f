"""What the project's serializers share."""
import copy

from django.db.models.manager import BaseManager
from rest_framework import serializers
from rest_framework.fields import FileField, HiddenField, SkipField
from rest_framework.relations import ManyRelatedField, RelatedField
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


_METHOD, _PLAIN, _ONE, _MANY = "method", "plain", "one", "many"


def _context_free(field) -> bool:
    """A plain field whose representation reads nothing but its own configuration: one of DRF's own, not a
    related or file field (they read the request or return pk-only objects), no default that needs the context
    (``CurrentUserDefault``), and for a ``ListField``/``DictField`` a child of the same kind."""
    if (isinstance(field, RelatedField | ManyRelatedField | FileField | HiddenField)
            or not type(field).__module__.startswith("rest_framework.")
            or getattr(field.default, "requires_context", False)):
        return False
    child = getattr(field, "child", None)
    return child is None or _context_free(child)


def _nested_class(serializer) -> type | None:
    """The class of a nested serializer that a fresh instance (``cls(context=…)``) represents as the declared one
    does: one that takes no arguments of its own (``__init__`` is DRF's)."""
    cls = type(serializer)
    return cls if cls.__init__ is BaseSerializer.__init__ else None


def _representation_plan(cls) -> list[tuple] | None:
    """How ``cls`` represents an instance, field by field, worked out once from a prototype instance's bound fields;
    None when some readable field is not one this plan can stand in for (see ``PlannedRepresentationMixin``)."""
    steps = []
    for field in cls()._readable_fields:
        if isinstance(field, serializers.SerializerMethodField):
            steps.append((_METHOD, field.field_name, None, field.method_name))
        elif isinstance(field, serializers.ListSerializer):
            child = _nested_class(field.child)
            if type(field) is not serializers.ListSerializer or child is None:  # a list class or arguments of its own
                return None
            steps.append((_MANY, field.field_name, field, child))
        elif isinstance(field, BaseSerializer):
            nested = _nested_class(field)
            if nested is None:
                return None
            steps.append((_ONE, field.field_name, field, nested))
        elif _context_free(field):
            steps.append((_PLAIN, field.field_name, field, None))
        else:
            return None  # DRF's own path for the whole class
    return steps


class PlannedRepresentationMixin:
    """For an output serializer (``.data`` of an instance): ``to_representation`` without building and binding a
    fresh copy of every field for every instance (DRF copies each declared field, deep-copies each nested
    serializer and binds them all, per serializer instance; an order's 201 built five serializers' fields).

    The class's readable fields are bound once, on a prototype instance, and each instance is represented by
    walking them: a model or plain field through that prototype's ``get_attribute`` and ``to_representation``
    (which read only the field's own configuration); a ``SerializerMethodField`` by calling the method on this
    instance (so ``self.context`` is this serializer's); a nested serializer (one, or ``many=True``) by a fresh
    instance of its class with this serializer's context, as DRF's nested serializers share the root's context.
    ``None`` is ``None`` and a ``SkipField`` skips the field, as in DRF's ``Serializer.to_representation``.

    A nested serializer's ``parent`` is not the serializer it is nested in (a method that walks up to it must not be
    planned). A class with a readable field that may read the request (related and file fields, a default that needs
    the context), a custom list serializer, a nested serializer that takes arguments of its own or a field class of
    ours is represented by DRF's own path. Fields must depend only on the class (as with ``FieldsBuiltOnceMixin``);
    ``orders/tests/test_planned_representation.py`` holds every planned order and checkout serializer equal to
    DRF's representation. The plan is kept on the exact class."""

    def to_representation(self, instance):
        cls = type(self)
        plan = cls.__dict__.get("_representation_plan", False)
        if plan is False:
            plan = _representation_plan(cls)
            cls._representation_plan = plan  # a race stores equal plans: harmless
        if plan is None:
            return super().to_representation(instance)
        ret = {}
        for kind, name, field, extra in plan:
            if kind == _METHOD:
                ret[name] = getattr(self, extra)(instance)
                continue
            try:
                attribute = field.get_attribute(instance)
            except SkipField:
                continue
            if attribute is None:
                ret[name] = None
            elif kind == _PLAIN:
                ret[name] = field.to_representation(attribute)
            elif kind == _ONE:
                ret[name] = extra(context=self.context).to_representation(attribute)
            else:
                child = extra(context=self.context)
                items = attribute.all() if isinstance(attribute, BaseManager) else attribute
                ret[name] = [child.to_representation(item) for item in items]
        return ret
