"""Categories (admins): create, rename, move without cycles, delete only when empty."""
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from core.errors import Conflict, ValidationFailed

from ..models import Category, Product
from ..selectors import category_descendant_ids


def _check_parent(category: Category | None, parent: Category | None) -> None:
    if category is None or parent is None:
        return
    rows = list(Category.objects.values_list("id", "parent_id"))
    if parent.pk in category_descendant_ids({category.pk}, rows):
        raise ValidationFailed("parent: A category cannot be moved under itself or one of its descendants.",
                               details={"parent": ["A category cannot be moved under itself or one of its descendants."]})


def category_create(*, data: dict[str, Any]) -> Category:
    try:
        with transaction.atomic():
            return Category.objects.create(**data)
    except IntegrityError as exc:
        raise ValidationFailed("slug: A category with this slug already exists.",
                               details={"slug": ["A category with this slug already exists."]}) from exc


@transaction.atomic
def category_update(*, category: Category, data: dict[str, Any]) -> Category:
    """Rename, re-describe, (de)activate or move a category (a move may not create a cycle)."""
    if "parent" in data:
        _check_parent(category, data["parent"])
    for key, value in data.items():
        setattr(category, key, value)
    try:
        with transaction.atomic():
            category.save(update_fields=[*data.keys(), "updated_at"])
    except IntegrityError as exc:
        raise ValidationFailed("slug: A category with this slug already exists.",
                               details={"slug": ["A category with this slug already exists."]}) from exc
    return category


@transaction.atomic
def category_delete(*, category: Category) -> None:
    """Only an empty leaf category can be deleted; otherwise 409 (move or deactivate it instead)."""
    if Product.objects.filter(category=category).exists():
        raise Conflict("This category has products; move them or deactivate the category instead.")
    if Category.objects.filter(parent=category).exists():
        raise Conflict("This category has sub-categories; move or delete them first.")
    try:
        category.delete()
    except ProtectedError as exc:
        raise Conflict("This category is still in use.") from exc
