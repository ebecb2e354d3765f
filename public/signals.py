"""Images get their thumbnails and preview JPEG in the background once their upload commits.

Connected from ``PublicConfig.ready``: products and entrepreneurs store images without knowing
that the shopper's pages want smaller copies (``core.thumbnails``); the copies are deleted with the
original by ``core.images.delete_stored_file``.
"""
import logging

from django.db import transaction
from django.db.models.signals import post_save

from core.broker import BROKER_ERRORS

logger = logging.getLogger(__name__)

_PROFILE_IMAGE_FIELDS = ("banner_image", "profile_image")


def enqueue_derivatives(name: str) -> None:
    if not name:
        return

    def enqueue():
        from .tasks import make_image_derivatives

        try:
            make_image_derivatives.delay(name)
        except BROKER_ERRORS:
            logger.exception("Could not enqueue thumbnails of %s; `manage.py make_thumbnails` will catch up", name)

    transaction.on_commit(enqueue, robust=True)


def _on_product_image(sender, instance, update_fields=None, **kwargs) -> None:
    if update_fields is None or "image" in update_fields:
        enqueue_derivatives(instance.image.name)


def _on_entrepreneur(sender, instance, update_fields=None, **kwargs) -> None:
    for field in _PROFILE_IMAGE_FIELDS:
        if update_fields is None or field in update_fields:
            enqueue_derivatives(getattr(instance, field).name)


def connect_thumbnails() -> None:
    post_save.connect(_on_product_image, sender="products.ProductImage", dispatch_uid="public:thumbs:image",
                      weak=False)
    post_save.connect(_on_entrepreneur, sender="entrepreneurs.EntrepreneurProfile",
                      dispatch_uid="public:thumbs:entrepreneur", weak=False)
