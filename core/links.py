"""Absolute public URLs, all on ``settings.PUBLIC_BASE_URL`` (SPEC §8): media files and a store's pages.

Plain string building on the public URL scheme (``/<custom_url>/``, ``/<custom_url>/product/<slug>/``),
so every app can link to a store without importing the app that serves it.
"""
from urllib.parse import quote

from django.conf import settings


def public_base_url() -> str:
    return settings.PUBLIC_BASE_URL.rstrip("/")


def absolute_url(path_or_url: str) -> str:
    """``/media/x.jpg`` → ``<PUBLIC_BASE_URL>/media/x.jpg``; absolute URLs (S3) are returned unchanged."""
    if not path_or_url:
        return path_or_url
    if path_or_url.startswith(("http://", "https://", "//")):
        return path_or_url
    return f"{public_base_url()}/{path_or_url.lstrip('/')}"


def media_url(field_file) -> str | None:
    """The public URL of a stored file, or None when the field is empty."""
    if not field_file or not getattr(field_file, "name", ""):
        return None
    return absolute_url(field_file.url)


def storefront_url(custom_url: str) -> str:
    return f"{public_base_url()}/{quote(custom_url)}/"


def product_url(custom_url: str, product_slug: str) -> str:
    return f"{public_base_url()}/{quote(custom_url)}/product/{quote(product_slug)}/"
