"""Smaller copies of stored images for slow networks, and the link-preview JPEG (SPEC §9).

Every stored image ``products/7/ab12.jpg`` gets, next to it, under deterministic names:

* ``products/7/ab12.w320.jpg`` and ``….w640.jpg`` — the picture padded onto a white square
  (320×320, 640×640): no part of the product is cut off, and a page knows their size without a query;
* ``products/7/ab12.og.jpg`` — 1200×630, the ``og:image`` of a link preview (well under 300 KB).

They are made by a background task after the upload commits (``public.tasks``), backfilled by
``manage.py make_thumbnails``, and deleted with the original (``core.images.delete_stored_file``).
"""
from __future__ import annotations

import hashlib
import io
import logging
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image, ImageDraw, ImageFont, ImageOps

logger = logging.getLogger(__name__)

THUMBNAIL_WIDTHS = (320, 640)
PREVIEW_SIZE = (1200, 630)
PREVIEW_MAX_BYTES = 300 * 1024
_WHITE = (255, 255, 255)
_QUALITY = 80


@dataclass(frozen=True)
class Derivative:
    suffix: str
    size: tuple[int, int]


DERIVATIVES = (
    *(Derivative(f"w{width}", (width, width)) for width in THUMBNAIL_WIDTHS),
    Derivative("og", PREVIEW_SIZE),
)


def derivative_name(name: str, suffix: str) -> str:
    stem = name.rsplit(".", 1)[0] if "." in name.rsplit("/", 1)[-1] else name
    return f"{stem}.{suffix}.jpg"


def is_derivative(name: str) -> bool:
    return any(name.endswith(f".{d.suffix}.jpg") for d in DERIVATIVES)


def derivative_names(name: str) -> list[str]:
    if not name or is_derivative(name):
        return []
    return [derivative_name(name, d.suffix) for d in DERIVATIVES]


def _encode(image: Image.Image, max_bytes: int | None = None) -> bytes:
    quality = _QUALITY
    while True:
        out = io.BytesIO()
        image.save(out, format="JPEG", quality=quality, optimize=True, progressive=True)
        data = out.getvalue()
        if max_bytes is None or len(data) <= max_bytes or quality <= 40:
            return data
        quality -= 10


def _padded(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """The whole picture, scaled to fit ``size`` and centred on white."""
    return ImageOps.pad(image, size, method=Image.Resampling.LANCZOS, color=_WHITE)


def make_derivatives(name: str, *, overwrite: bool = False) -> list[str]:
    """Make the thumbnails and the preview JPEG of a stored image; returns the names written.

    Idempotent: existing derivatives are kept unless ``overwrite``. A missing or undecodable
    original is logged and skipped (the pages then fall back to the original).
    """
    wanted = [d for d in DERIVATIVES if overwrite or not default_storage.exists(derivative_name(name, d.suffix))]
    if not name or is_derivative(name) or not wanted:
        return []
    try:
        with default_storage.open(name, "rb") as handle:
            image = Image.open(io.BytesIO(handle.read()))
            image.load()
    except Exception:  # noqa: BLE001 — a vanished or broken original must not crash the worker
        logger.warning("Cannot make thumbnails of %s", name, exc_info=True)
        return []
    image = image.convert("RGB")
    written = []
    for derivative in wanted:
        target = derivative_name(name, derivative.suffix)
        data = _encode(_padded(image, derivative.size), PREVIEW_MAX_BYTES if derivative.suffix == "og" else None)
        if default_storage.exists(target):
            default_storage.delete(target)
        written.append(default_storage.save(target, ContentFile(data)))
    return written


def delete_derivatives(name: str) -> None:
    for derived in derivative_names(name):
        try:
            default_storage.delete(derived)
        except Exception:  # noqa: BLE001 — see core.images.delete_stored_file
            logger.warning("Could not delete %s", derived, exc_info=True)


# --- A preview card for a store without pictures --------------------------------------------------

def bold_font(size: int):
    """A bold sans-serif at ``size`` px (DejaVu or Liberation where installed, else Pillow's default)."""
    for candidate in ("DejaVuSans-Bold.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
                      "LiberationSans-Bold.ttf"):
        try:
            return ImageFont.truetype(candidate, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)


def _wrap(draw: ImageDraw.ImageDraw, text: str, font, width: int, max_lines: int = 3) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and draw.textlength(f"{lines[-1]} {word}", font=font) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1].rstrip(".") + "…"
    return lines


def card_name(title: str, subtitle: str, colour: str) -> str:
    digest = hashlib.sha256(f"{title}\x1f{subtitle}\x1f{colour}".encode()).hexdigest()[:20]
    return f"cards/{digest}.og.jpg"


def make_card(title: str, subtitle: str = "", colour: str = "#0b6e4f") -> str:
    """A 1200×630 JPEG with the store's name on its colour; stored once per (title, subtitle, colour)."""
    name = card_name(title, subtitle, colour)
    if default_storage.exists(name):
        return name
    try:
        background = Image.new("RGB", PREVIEW_SIZE, colour)
    except ValueError:
        background = Image.new("RGB", PREVIEW_SIZE, "#0b6e4f")
    draw = ImageDraw.Draw(background)
    big, small = bold_font(84), bold_font(40)
    lines = _wrap(draw, title or "Payjaro", big, PREVIEW_SIZE[0] - 160)
    y = 170 if len(lines) < 3 else 110
    for line in lines:
        draw.text((80, y), line, font=big, fill=_WHITE)
        y += 104
    if subtitle:
        draw.text((80, y + 30), subtitle[:60], font=small, fill=(230, 240, 235))
    draw.text((80, PREVIEW_SIZE[1] - 90), "Shop on Payjaro", font=small, fill=(230, 240, 235))
    return default_storage.save(name, ContentFile(_encode(background, PREVIEW_MAX_BYTES)))
