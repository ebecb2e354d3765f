"""``FieldsBuiltOnceMixin``: the model-derived (or declared) fields are built once per class, every instance gets
its own."""
import pytest
from django.contrib.auth import get_user_model
from rest_framework import serializers

from core.serializers import FieldsBuiltOnceMixin

User = get_user_model()  # core sits under every app: the user model by setting, not by import


class _Plain(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", "email", "user_type"]
        read_only_fields = ["id"]


class _Once(FieldsBuiltOnceMixin, _Plain):
    class Meta(_Plain.Meta):
        pass


class _OnceNarrower(_Once):
    class Meta(_Once.Meta):
        fields = ["id", "username"]


def test_built_once_per_class_and_copied_per_instance(monkeypatch):
    built = []
    original = serializers.ModelSerializer.build_field

    def counting(self, *args, **kwargs):
        built.append(type(self).__name__)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(serializers.ModelSerializer, "build_field", counting)
    for cls in (_Once, _OnceNarrower):
        if "_fields_built_once" in vars(cls):
            delattr(cls, "_fields_built_once")
    first, second = _Once().fields, _Once().fields
    assert built.count("_Once") == 4  # one build per model field, for the first instance only
    assert list(first) == list(second) == ["id", "username", "email", "user_type"]
    assert all(first[name] is not second[name] for name in first)  # each instance binds its own fields
    assert first["email"].parent is not second["email"].parent
    assert list(_OnceNarrower().fields) == ["id", "username"]  # a subclass builds its own
    assert built.count("_OnceNarrower") == 2


@pytest.mark.django_db
def test_the_same_representation_and_validation_as_without_it():
    user = User.objects.create_user(username="ada", email="ada@example.com", password="x" * 12)
    assert _Once(user).data == _Plain(user).data
    assert {name: type(field) for name, field in _Once().fields.items()} == {
        name: type(field) for name, field in _Plain().fields.items()}
    once, plain = (cls(data={"username": "", "email": "x", "user_type": "pirate"}) for cls in (_Once, _Plain))
    assert once.is_valid() is plain.is_valid() is False
    assert once.errors == plain.errors and set(once.errors) == {"username", "email", "user_type"}


class _WithChildren(FieldsBuiltOnceMixin, serializers.ModelSerializer):
    tags = serializers.ListField(child=serializers.CharField(), read_only=True, source="user_permissions")
    groups = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = User
        fields = ["id", "tags", "groups"]


def test_fields_holding_fields_are_copied_whole():
    """A ListField's child and a many-relation's child_relation are bound to their own field: never shared."""
    first, second = _WithChildren().fields, _WithChildren().fields
    assert first["tags"].child is not second["tags"].child
    assert first["tags"].child.parent is first["tags"] and second["tags"].child.parent is second["tags"]
    assert first["groups"].child_relation is not second["groups"].child_relation


class _Line(serializers.Serializer):
    product_id = serializers.IntegerField(min_value=1)
    quantity = serializers.IntegerField(min_value=1, max_value=5)


class _Cart(serializers.Serializer):
    store = serializers.CharField(max_length=5)
    lines = _Line(many=True, allow_empty=False)
    note = serializers.ChoiceField(choices=["a", "b"], required=False, default="a")


class _LineOnce(FieldsBuiltOnceMixin, _Line):
    pass


class _CartOnce(FieldsBuiltOnceMixin, serializers.Serializer):
    store = serializers.CharField(max_length=5)
    lines = _LineOnce(many=True, allow_empty=False)
    note = serializers.ChoiceField(choices=["a", "b"], required=False, default="a")


@pytest.mark.parametrize("data", [
    {"store": "shop", "lines": [{"product_id": 3, "quantity": 2}, {"product_id": 4, "quantity": 1}], "note": "b"},
    {"store": "toolong", "lines": [{"product_id": 0, "quantity": 9}, {"quantity": "x"}], "note": "z"},
    {"store": "", "lines": []},
    {"lines": "nope"},
])
def test_a_plain_input_serializer_validates_as_without_it(data):
    """Declared fields built once: the same validated data and the same errors, line by line."""
    once, plain = _CartOnce(data=data), _Cart(data=data)
    assert once.is_valid() is plain.is_valid()
    assert once.errors == plain.errors
    assert once.validated_data == plain.validated_data


def test_a_plain_serializers_instances_share_no_bound_field():
    first, second = _CartOnce().fields, _CartOnce().fields
    assert all(first[name] is not second[name] for name in first)
    assert first["store"].parent is not second["store"].parent
    assert first["lines"].child is not second["lines"].child  # the nested serializer is copied whole
    assert first["lines"].child.parent is first["lines"]
