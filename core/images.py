"""Image validation and processing for every upload (SPEC §7).

An upload is trusted only after Pillow has decoded it: the extension and the client's content type are
ignored. Every accepted image is re-encoded as an optimised progressive JPEG, which also strips
metadata (EXIF GPS etc.) and anything smuggled after the image data.

Typical use (a service)::

    content = process_image(request.FILES["image"], max_size=PROFILE_SIZE, crop=True)
    name = store_image(content, prefix=f"entrepreneurs/{profile.id}/profile")
    ...  # save ``name`` on the model's ImageField (``instance.image.name = name``)
    delete_stored_file_on_commit(old_name)  # when replacing

Storage goes through ``default_storage`` (``STORAGES["default"]``): local ``MEDIA_ROOT`` or S3.
"""
from __future__ import annotations

import io
import logging
import uuid
import warnings

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from PIL import Image, ImageOps, UnidentifiedImageError

from core.errors import PayloadTooLarge, ValidationFailed
from core.thumbnails import derivative_names

logger = logging.getLogger(__name__)

try:  # S3 (django-storages) raises botocore errors rather than OSError
    from botocore.exceptions import BotoCoreError, ClientError

    _STORAGE_ERRORS: tuple[type[Exception], ...] = (OSError, BotoCoreError, ClientError)
except ImportError:  # pragma: no cover - boto3 is a runtime requirement
    _STORAGE_ERRORS = (OSError,)

ALLOWED_FORMATS = frozenset({"JPEG", "PNG", "WEBP"})
PRODUCT_SIZE = (1200, 1200)
BANNER_SIZE = (1200, 400)
PROFILE_SIZE = (400, 400)
JPEG_QUALITY = 85
_WHITE = (255, 255, 255)

# Errors Pillow raises for corrupt, truncated or hostile input.
_DECODE_ERRORS = (UnidentifiedImageError, OSError, SyntaxError, ValueError, TypeError, EOFError,
                  IndexError, KeyError, Image.DecompressionBombError, Image.DecompressionBombWarning)


def _invalid(message: str, field: str = "image") -> ValidationFailed:
    return ValidationFailed(message, details={field: [message]})


def _too_large(limit: int) -> PayloadTooLarge:
    readable = f"{limit / (1024 * 1024):g} MB" if limit >= 1024 * 1024 else f"{limit / 1024:g} KB"
    return PayloadTooLarge(f"The image is larger than {readable}.", details={"image": [f"At most {limit} bytes."]})


def _read_limited(uploaded_file, limit: int) -> bytes:
    """The file's bytes; a file over ``limit`` is refused without reading more than ``limit + 1`` bytes."""
    size = getattr(uploaded_file, "size", None)
    if size is not None and size > limit:
        raise _too_large(limit)
    if hasattr(uploaded_file, "seek"):
        uploaded_file.seek(0)
    data = uploaded_file.read(limit + 1)
    if len(data) > limit:
        raise _too_large(limit)
    if not data:
        raise _invalid("The image file is empty.")
    return data


def _check_pixels(image: Image.Image, max_pixels: int) -> None:
    width, height = image.size
    if width <= 0 or height <= 0 or width * height > max_pixels:
        raise _invalid(f"The image has too many pixels ({width}×{height}); at most {max_pixels} are allowed.")


def _to_rgb(image: Image.Image) -> Image.Image:
    """RGBA / LA / P (with transparency) → RGB on a white background; anything else → RGB."""
    if image.mode == "RGB":
        return image
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    if has_alpha:
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, _WHITE)
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16/32-bit greyscale: scale down to 8 bits before converting, or the result is all white.
        image = image.point(lambda value: value * (1 / 256)).convert("L")
    return image.convert("RGB")


def process_image(uploaded_file, *, max_size: tuple[int, int] = PRODUCT_SIZE, crop: bool = False) -> ContentFile:
    """Validate an uploaded image by decoding it and return an optimised JPEG.

    - more than ``settings.MAX_IMAGE_UPLOAD_BYTES`` → ``PayloadTooLarge`` (413);
    - not decodable, or not JPEG/PNG/WebP by its decoded format → ``ValidationFailed`` (400);
    - more than ``settings.MAX_IMAGE_PIXELS`` pixels (decompression bombs) → ``ValidationFailed`` (400);
    - EXIF orientation applied, transparency flattened onto white, resized to fit ``max_size``
      (``crop=True``: scaled and centre-cropped to exactly ``max_size``), saved as progressive JPEG.

    The returned ``ContentFile`` has a unique ``.jpg`` name and ``width``/``height`` attributes.
    """
    max_bytes = int(settings.MAX_IMAGE_UPLOAD_BYTES)
    max_pixels = int(settings.MAX_IMAGE_PIXELS)
    data = _read_limited(uploaded_file, max_bytes)

    # Pillow warns above MAX_IMAGE_PIXELS and raises above twice that; the explicit size check below
    # is the real limit, this makes Pillow's own guard agree with it.
    Image.MAX_IMAGE_PIXELS = max_pixels
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format not in ALLOWED_FORMATS:
                    raise _invalid("Only JPEG, PNG and WebP images are accepted.")
                _check_pixels(probe, max_pixels)
                probe.verify()
            # verify() leaves the image unusable: open it again to decode the pixels.
            image = Image.open(io.BytesIO(data))
            _check_pixels(image, max_pixels)
            image.load()
        except ValidationFailed:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _invalid(f"The image has too many pixels; at most {max_pixels} are allowed.") from exc
        except _DECODE_ERRORS as exc:
            raise _invalid("The file is not a valid image.") from exc

    try:
        image = ImageOps.exif_transpose(image)
    except _DECODE_ERRORS:  # a broken EXIF block is not worth rejecting the picture for
        logger.info("Ignoring unreadable EXIF orientation")
    image = _to_rgb(image)

    if crop:
        image = ImageOps.fit(image, max_size, method=Image.Resampling.LANCZOS)
    else:
        image.thumbnail(max_size, Image.Resampling.LANCZOS)  # only ever shrinks, keeps the aspect ratio

    out = io.BytesIO()
    image.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    content = ContentFile(out.getvalue(), name=unique_image_name(""))
    content.width, content.height = image.size
    return content


def unique_image_name(prefix: str) -> str:
    """``<prefix>/<uuid4 hex>.jpg`` (just ``<uuid4 hex>.jpg`` for an empty prefix)."""
    name = f"{uuid.uuid4().hex}.jpg"
    prefix = (prefix or "").strip("/")
    return f"{prefix}/{name}" if prefix else name


def store_image(content: ContentFile, *, prefix: str) -> str:
    """Save processed image bytes under ``prefix`` with a unique name; returns the stored name."""
    return default_storage.save(unique_image_name(prefix), content)


def delete_stored_file(name: str | None) -> None:
    """Delete a stored file now, with its thumbnails (``core.thumbnails``). Missing files and storage
    hiccups are logged, never raised."""
    if not name:
        return
    for stored in (name, *derivative_names(name)):
        try:
            default_storage.delete(stored)
        except _STORAGE_ERRORS:
            logger.warning("Could not delete stored file %s", stored, exc_info=True)


def delete_stored_file_on_commit(name: str | None) -> None:
    """Delete a stored file once the surrounding transaction commits (nothing happens on rollback)."""
    if name:
        transaction.on_commit(lambda: delete_stored_file(name))
