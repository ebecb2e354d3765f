"""Product images: validated and converted before any lock; one primary per product, decided under its row lock."""
from django.db import transaction
from django.db.models import Count, Max, Q

from core.errors import NotFound, PayloadTooLarge, ValidationFailed
from core.images import PRODUCT_SIZE, delete_stored_file, delete_stored_file_on_commit, process_image, store_image

from ..models import Product, ProductImage

MAX_BULK_IMAGES = 10


def _lock_product_row(product_id: int) -> None:
    # The product row is the lock that serialises "one primary image per product" decisions.
    list(Product.objects.select_for_update().filter(pk=product_id).values_list("pk", flat=True))


def product_image_add(*, product: Product, uploaded_file, is_primary: bool = False, alt_text: str = "") -> ProductImage:
    """Validate, convert (JPEG ≤ 1200×1200) and store an image under ``products/<id>/``.

    The first image of a product becomes primary; a new primary unsets the old one in the same
    transaction, under the product's row lock. The file is removed again if the row cannot be saved.
    """
    content = process_image(uploaded_file, max_size=PRODUCT_SIZE)  # CPU work before any lock
    name = store_image(content, prefix=f"products/{product.pk}")
    try:
        with transaction.atomic():
            _lock_product_row(product.pk)
            images = ProductImage.objects.filter(product_id=product.pk)
            summary = images.aggregate(last=Max("position"), primaries=Count("id", filter=Q(is_primary=True)))
            make_primary = bool(is_primary) or not summary["primaries"]
            if make_primary:
                images.filter(is_primary=True).update(is_primary=False)
            return ProductImage.objects.create(
                product_id=product.pk, image=name, alt_text=alt_text or "", is_primary=make_primary,
                position=0 if summary["last"] is None else summary["last"] + 1,
            )
    except BaseException:
        delete_stored_file(name)
        raise


def product_images_add_bulk(*, product: Product, files: list) -> tuple[list[ProductImage], list[dict]]:
    """Up to ten images; each is accepted or refused on its own. Returns (created, failures)."""
    if not files:
        raise ValidationFailed("images: Give at least one image.", details={"images": ["Give at least one image."]})
    if len(files) > MAX_BULK_IMAGES:
        raise ValidationFailed(f"images: At most {MAX_BULK_IMAGES} images per upload.",
                               details={"images": [f"At most {MAX_BULK_IMAGES} images per upload."]})
    created: list[ProductImage] = []
    failed: list[dict] = []
    for index, uploaded in enumerate(files):
        try:
            created.append(product_image_add(product=product, uploaded_file=uploaded))
        except (ValidationFailed, PayloadTooLarge) as exc:
            failed.append({"index": index, "filename": getattr(uploaded, "name", ""), "error": exc.message,
                           "status": exc.status_code})
    return created, failed


def _get_image(product_id: int, image_id) -> ProductImage:
    try:
        return ProductImage.objects.get(pk=image_id, product_id=product_id)
    except (ProductImage.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound("Image not found.") from exc


@transaction.atomic
def product_image_update(*, product: Product, image_id: int, is_primary: bool | None = None,
                         alt_text: str | None = None, position: int | None = None) -> ProductImage:
    _lock_product_row(product.pk)
    image = _get_image(product.pk, image_id)
    fields = []
    if is_primary is not None and is_primary != image.is_primary:
        if is_primary:
            ProductImage.objects.filter(product_id=product.pk, is_primary=True).update(is_primary=False)
        image.is_primary = is_primary
        fields.append("is_primary")
    if alt_text is not None:
        image.alt_text = alt_text
        fields.append("alt_text")
    if position is not None:
        image.position = position
        fields.append("position")
    if fields:
        image.save(update_fields=[*fields, "updated_at"])
    return image


@transaction.atomic
def product_image_delete(*, product: Product, image_id: int) -> None:
    """Delete the image row and, once committed, its file. A deleted primary passes the role on."""
    _lock_product_row(product.pk)
    image = _get_image(product.pk, image_id)
    name, was_primary = image.image.name, image.is_primary
    image.delete()
    if was_primary:
        successor = ProductImage.objects.filter(product_id=product.pk).order_by("position", "id").first()
        if successor is not None:
            successor.is_primary = True
            successor.save(update_fields=["is_primary", "updated_at"])
    delete_stored_file_on_commit(name)
