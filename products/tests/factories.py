"""Factories and helpers for products tests (shared factories live in tests.factories)."""
import io
import struct
import zlib

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from products.models import ProductImage
from tests.factories import CategoryFactory, ProductFactory, SupplierFactory, VariationFactory  # noqa: F401


def image_bytes(fmt: str = "PNG", size=(2400, 1600), mode: str = "RGBA", color=(200, 30, 30, 128)) -> bytes:
    buffer = io.BytesIO()
    if mode in ("RGB", "L"):
        color = color[:3] if mode == "RGB" else color[0]
    Image.new(mode, size, color).save(buffer, format=fmt)
    return buffer.getvalue()


def png_upload(name: str = "photo.png", **kwargs) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, image_bytes("PNG", **kwargs), content_type="image/png")


def fake_jpeg_upload() -> SimpleUploadedFile:
    """A PDF wearing a .jpg name and an image/jpeg content type."""
    return SimpleUploadedFile("invoice.jpg", b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n",
                              content_type="image/jpeg")


def png_bomb_bytes(width: int = 100_000, height: int = 100_000) -> bytes:
    """A tiny PNG whose header claims ``width × height`` pixels (a decompression bomb)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")


class ProductImageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductImage

    product = factory.SubFactory(ProductFactory)
    image = factory.Sequence(lambda n: f"products/test/{n}.jpg")
