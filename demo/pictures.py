"""Pictures for the demo catalog, drawn locally with Pillow (no network, no stock photos).

Each product gets a square "studio shot": a soft background in its category's colours, a simple
silhouette of what it is (dress, shoe, bag, phone, gadget, jar) and its name. The store gets a
1200×400 banner. They are deterministic (same product → same picture) and go through the same upload
pipeline as a real upload (``core.images.process_image``), so they get thumbnails and a preview JPEG.
"""
import hashlib
import io

from PIL import Image, ImageDraw

from core.thumbnails import bold_font

PRODUCT_PICTURE_SIZE = (800, 800)
BANNER_SIZE = (1200, 400)

# category slug → (background top, background bottom, silhouette colour)
PALETTES = {
    "clothing": ((252, 228, 214), (246, 196, 170), (176, 58, 46)),
    "shoes": ((236, 226, 210), (214, 196, 170), (110, 72, 40)),
    "bags": ((250, 236, 200), (238, 210, 150), (150, 90, 30)),
    "phones": ((220, 232, 246), (186, 206, 232), (30, 50, 90)),
    "accessories": ((226, 240, 232), (190, 222, 204), (20, 90, 60)),
    "beauty": ((246, 226, 236), (232, 196, 214), (140, 40, 90)),
}
_DEFAULT_PALETTE = ((235, 235, 235), (210, 210, 210), (60, 60, 60))


def _gradient(size: tuple[int, int], top: tuple, bottom: tuple) -> Image.Image:
    # Two pixels stretched bilinearly: a vertical gradient in one C call.
    ends = Image.new("RGB", (1, 2))
    ends.putpixel((0, 0), top)
    ends.putpixel((0, 1), bottom)
    return ends.resize(size, Image.Resampling.BILINEAR)


def _silhouette(draw: ImageDraw.ImageDraw, category: str, colour: tuple, accent: tuple) -> None:
    """A simple drawing of the kind of thing, centred in the upper part of an 800×800 canvas."""
    if category == "clothing":
        draw.polygon([(330, 150), (470, 150), (520, 230), (600, 560), (200, 560), (280, 230)], fill=colour)
        draw.rectangle([(330, 120), (350, 160)], fill=colour)
        draw.rectangle([(450, 120), (470, 160)], fill=colour)
        for x in range(250, 560, 60):
            draw.ellipse([(x, 380), (x + 30, 410)], fill=accent)
    elif category == "shoes":
        draw.rounded_rectangle([(170, 380), (640, 500)], radius=50, fill=colour)
        draw.ellipse([(150, 300), (420, 500)], fill=colour)
        draw.rectangle([(170, 490), (650, 520)], fill=accent)
    elif category == "bags":
        draw.arc([(290, 130), (510, 380)], start=180, end=360, fill=colour, width=26)
        draw.rounded_rectangle([(210, 250), (590, 560)], radius=40, fill=colour)
        draw.rectangle([(370, 330), (430, 380)], fill=accent)
    elif category == "phones":
        draw.rounded_rectangle([(290, 110), (510, 570)], radius=36, fill=colour)
        draw.rounded_rectangle([(306, 150), (494, 520)], radius=12, fill=accent)
        draw.ellipse([(388, 530), (412, 554)], fill=accent)
    elif category == "accessories":
        draw.rounded_rectangle([(250, 170), (550, 540)], radius=60, fill=colour)
        draw.ellipse([(330, 250), (470, 390)], fill=accent)
        draw.rectangle([(370, 430), (430, 500)], fill=accent)
    else:  # beauty and anything else: a jar
        draw.rounded_rectangle([(270, 150), (530, 230)], radius=20, fill=accent)
        draw.rounded_rectangle([(240, 220), (560, 560)], radius=50, fill=colour)
        draw.rounded_rectangle([(290, 330), (510, 450)], radius=14, fill=accent)


def _seed_shift(text: str) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest()[:2], 16) % 24 - 12


def product_picture(*, name: str, category: str) -> bytes:
    """An 800×800 PNG "studio shot" of a demo product (the upload pipeline makes it a JPEG)."""
    top, bottom, colour = PALETTES.get(category, _DEFAULT_PALETTE)
    shift = _seed_shift(name)  # products of one category differ a little in tone
    colour = tuple(max(0, min(255, c + shift * 3)) for c in colour)
    image = _gradient(PRODUCT_PICTURE_SIZE, top, bottom)
    draw = ImageDraw.Draw(image)
    draw.ellipse([(170, 560), (630, 620)], fill=tuple(max(0, c - 30) for c in bottom))  # shadow
    _silhouette(draw, category, colour, top)
    font = bold_font(44)
    words, lines = name.split(), [""]
    for word in words:
        candidate = f"{lines[-1]} {word}".strip()
        if draw.textlength(candidate, font=font) <= 700:
            lines[-1] = candidate
        else:
            lines.append(word)
    y = 650 if len(lines) == 1 else 630
    for line in lines[:2]:
        width = draw.textlength(line, font=font)
        draw.text(((800 - width) / 2, y), line, font=font, fill=(40, 30, 30))
        y += 54
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def banner_picture(*, title: str, tagline: str) -> bytes:
    """A 1200×400 PNG banner: the store's name and tagline over warm Ankara-like stripes."""
    image = _gradient(BANNER_SIZE, (11, 110, 79), (6, 70, 50))
    draw = ImageDraw.Draw(image)
    stripes = [(244, 162, 97), (233, 196, 106), (231, 111, 81), (42, 157, 143)]
    for index, x in enumerate(range(760, 1300, 70)):
        draw.polygon([(x, 0), (x + 40, 0), (x - 160, 400), (x - 200, 400)], fill=stripes[index % len(stripes)])
    draw.text((60, 120), title, font=bold_font(88), fill=(255, 255, 255))
    draw.text((64, 240), tagline, font=bold_font(34), fill=(230, 245, 238))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
