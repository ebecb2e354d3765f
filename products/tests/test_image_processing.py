"""core.images.process_image: decoding, limits, conversion, resizing."""
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from core.errors import PayloadTooLarge, ValidationFailed
from core.images import BANNER_SIZE, PROFILE_SIZE, process_image, unique_image_name

from .factories import fake_jpeg_upload, image_bytes, png_bomb_bytes, png_upload


def decode(content):
    content.seek(0)
    image = Image.open(io.BytesIO(content.read()))
    image.load()
    return image


def test_png_becomes_resized_progressive_jpeg():
    content = process_image(png_upload(size=(2400, 1600)))
    image = decode(content)
    assert image.format == "JPEG"
    assert image.mode == "RGB"
    assert image.size == (1200, 800)
    assert (content.width, content.height) == (1200, 800)
    assert image.info.get("progressive") or image.info.get("progression")
    assert content.name.endswith(".jpg") and len(content.name) == 36


def test_small_images_are_not_enlarged():
    assert decode(process_image(png_upload(size=(300, 200)))).size == (300, 200)


def test_transparency_is_flattened_onto_white():
    upload = SimpleUploadedFile("t.png", image_bytes("PNG", size=(50, 50), color=(0, 0, 0, 0)))
    red, green, blue = decode(process_image(upload)).getpixel((25, 25))
    assert min(red, green, blue) >= 250


def test_palette_png_with_transparency_and_webp_are_accepted():
    buffer = io.BytesIO()
    palette = Image.new("P", (40, 40), 0)
    palette.save(buffer, format="PNG", transparency=0)
    assert decode(process_image(SimpleUploadedFile("p.png", buffer.getvalue()))).mode == "RGB"
    webp = SimpleUploadedFile("w.webp", image_bytes("WEBP", size=(64, 64), mode="RGB"))
    assert decode(process_image(webp)).format == "JPEG"


def test_exif_orientation_is_applied():
    buffer = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise on display
    Image.new("RGB", (200, 100), (10, 200, 10)).save(buffer, format="JPEG", exif=exif.tobytes())
    assert decode(process_image(SimpleUploadedFile("r.jpg", buffer.getvalue()))).size == (100, 200)


@pytest.mark.parametrize(("size", "expected"), [(BANNER_SIZE, (1200, 400)), (PROFILE_SIZE, (400, 400))])
def test_crop_variants_fill_the_box_exactly(size, expected):
    content = process_image(png_upload(size=(1000, 1000)), max_size=size, crop=True)
    assert decode(content).size == expected


def test_pdf_named_jpg_is_rejected():
    with pytest.raises(ValidationFailed) as error:
        process_image(fake_jpeg_upload())
    assert error.value.status_code == 400
    assert error.value.details == {"image": ["The file is not a valid image."]}


def test_gif_is_rejected_by_decoded_format():
    upload = SimpleUploadedFile("anim.png", image_bytes("GIF", size=(20, 20), mode="RGB"))
    with pytest.raises(ValidationFailed) as error:
        process_image(upload)
    assert error.value.message == "Only JPEG, PNG and WebP images are accepted."


def test_truncated_png_is_rejected():
    data = image_bytes("PNG", size=(300, 300), mode="RGB", color=(1, 2, 3, 4))
    with pytest.raises(ValidationFailed):
        process_image(SimpleUploadedFile("cut.png", data[: len(data) // 2]))


def test_empty_file_is_rejected():
    with pytest.raises(ValidationFailed):
        process_image(SimpleUploadedFile("empty.png", b""))


def test_file_over_10_mb_is_413():
    with pytest.raises(PayloadTooLarge) as error:
        process_image(SimpleUploadedFile("big.png", b"\x89PNG" + b"\0" * (10 * 1024 * 1024)))
    assert error.value.status_code == 413


def test_decompression_bomb_is_rejected():
    with pytest.raises(ValidationFailed) as error:
        process_image(SimpleUploadedFile("bomb.png", png_bomb_bytes()))
    assert "too many pixels" in error.value.message


def test_pixel_limit_comes_from_settings(settings):
    settings.MAX_IMAGE_PIXELS = 1_000_000
    with pytest.raises(ValidationFailed) as error:  # 1.2 MP: over the limit, under Pillow's 2× error threshold
        process_image(png_upload(size=(1200, 1000)))
    assert "too many pixels" in error.value.message
    assert decode(process_image(png_upload(size=(1000, 1000)))).size == (1000, 1000)


def test_unique_image_name():
    first, second = unique_image_name("products/7"), unique_image_name("products/7/")
    assert first.startswith("products/7/") and first.endswith(".jpg") and len(first) == len("products/7/") + 36
    assert first != second
    assert "/" not in unique_image_name("")
