"""Background work of the shopper's pages: thumbnails and preview JPEGs of uploaded images."""
from celery import shared_task

from core.thumbnails import make_derivatives


@shared_task(name="public.tasks.make_image_derivatives", autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def make_image_derivatives(name: str) -> list[str]:
    """The 320/640 px thumbnails and the 1200×630 preview of one stored image (idempotent)."""
    return make_derivatives(name)
