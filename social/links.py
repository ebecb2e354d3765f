"""Share links of a store or product: one per channel, each target tagged with its ``?src=`` (SPEC §8)."""
from urllib.parse import quote, urlencode

from django.conf import settings

from core.links import product_url, public_base_url

from .channels import ShareChannel


def with_source(url: str, channel: str) -> str:
    """The URL tagged with the channel it is shared on."""
    if channel not in ShareChannel.values:
        raise ValueError(f"Unknown share channel {channel!r}")
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}{urlencode({'src': channel})}"


def qr_code_url(custom_url: str, product_slug: str | None = None) -> str:
    url = f"{public_base_url()}/{quote(custom_url)}/qr.svg"
    if product_slug:
        url = f"{url}?{urlencode({'product': product_slug})}"
    return url


def purchase_link(custom_url: str, product_slug: str, source: str = "") -> str:
    """Where a shopper buys this product: the store's HTML product page (add to cart, buy now; SPEC §9), or
    the frontend's order page when ``FRONTEND_URL`` is set. The share channel travels along."""
    if not settings.FRONTEND_URL:
        url = product_url(custom_url, product_slug)
        return with_source(url, source) if source in ShareChannel.values else url
    params = {"entrepreneur": custom_url, "product": product_slug}
    if source in ShareChannel.values:
        params["src"] = source
    return f"{settings.FRONTEND_URL.rstrip('/')}/order?{urlencode(params)}"


def share_links(*, target_url: str, text: str, custom_url: str, product_slug: str | None = None,
                instagram_handle: str = "") -> dict:
    """Links for every channel. Text and URLs are percent-encoded; each target carries its ``src``."""
    whatsapp_target = with_source(target_url, ShareChannel.WHATSAPP)
    instagram_target = with_source(target_url, ShareChannel.INSTAGRAM)
    return {
        "whatsapp": "https://wa.me/?text=" + quote(f"{text} {whatsapp_target}", safe=""),
        "facebook": "https://www.facebook.com/sharer/sharer.php?"
        + urlencode({"u": with_source(target_url, ShareChannel.FACEBOOK)}, quote_via=quote),
        "twitter": "https://twitter.com/intent/tweet?"
        + urlencode({"text": text, "url": with_source(target_url, ShareChannel.X)}, quote_via=quote),
        # Instagram has no web share intent: the client copies the link/caption and posts it itself.
        "instagram": {
            "link": instagram_target,
            "caption": f"{text} {instagram_target}",
            "handle": instagram_handle,
            "instructions": "Instagram has no share link: copy the caption (it includes the link) into your "
                            "bio, story link sticker or post.",
        },
        "copy_link": with_source(target_url, ShareChannel.LINK),
        "qr_code": qr_code_url(custom_url, product_slug),
        "url": target_url,
        "text": text,
    }
