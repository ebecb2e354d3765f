"""The shopper's HTML pages (SPEC §9): landing, storefront, product, friendly 404.

They read through the same selectors as the JSON API (``social.selectors``) and are cached by
``public.caching`` under the same version tokens, so a price or stock change shows at once. A cached
page costs no database query but the view event. Per-visitor bits (the CSRF token of the product
page's forms) are put into the cached HTML when it is served, never cached themselves.
"""
import re
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.core.files.storage import default_storage
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.http import HttpResponse, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from analytics.buffer import view_event_record
from analytics.services import event_record
from core.errors import NotFound, ValidationFailed
from core.links import absolute_url, product_url, storefront_url
from core.thumbnails import PREVIEW_SIZE, derivative_name, make_card, make_derivatives
from orders.pricing import shopper_unit_price
from social.channels import ShareChannel
from social.links import share_links
from social.selectors import (
    public_featured_store_products,
    public_store_product_get,
    public_store_products,
    public_storefront_get,
)

from .caching import StorePage, page_key, serve_store_page
from .cart import cart_add, cart_remove, cart_set_quantity, cart_view
from .negotiation import is_preview_bot
from .templatetags.shop import naira

PAGE_SIZE = 20
LOW_STOCK = 5
EAGER_IMAGES = 4
DESCRIPTION_LENGTH = 150
DEFAULT_THEME_COLOUR = "#0b6e4f"
CSRF_PLACEHOLDER = "__payjaro_csrf_token__"
_HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
HTML_CACHE_CONTROL = f"max-age={getattr(settings, 'PUBLIC_HTML_MAX_AGE', 60)}"


# --- small helpers ---------------------------------------------------------------------------------

def source_of(request) -> str:
    src = (request.GET.get("src") or "").strip().lower()
    return src if src in ShareChannel.values else ""


def _short(text: str, length: int = DESCRIPTION_LENGTH) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def theme_colour(storefront) -> str:
    theme = (storefront.theme or "").strip()
    return theme if _HEX_COLOUR.match(theme) else DEFAULT_THEME_COLOUR


def picture(name: str, alt: str = "") -> dict | None:
    """``src``/``srcset`` of a stored image's square thumbnails (``core.thumbnails``), with their size."""
    if not name:
        return None
    url = default_storage.url
    return {
        "src": url(derivative_name(name, "w640")),
        "srcset": f"{url(derivative_name(name, 'w320'))} 320w, {url(derivative_name(name, 'w640'))} 640w",
        "width": 640,
        "height": 640,
        "alt": alt,
    }


def preview_image(*, names: list[str], title: str, subtitle: str, colour: str) -> dict:
    """The ``og:image`` (absolute URL, 1200×630 JPEG): of the first picture, else a card with the store's name."""
    for name in names:
        if not name:
            continue
        og_name = derivative_name(name, "og")
        if not default_storage.exists(og_name):  # only on a cache miss; normally made at upload
            make_derivatives(name)
        if default_storage.exists(og_name):
            return {"url": absolute_url(default_storage.url(og_name)), "width": PREVIEW_SIZE[0],
                    "height": PREVIEW_SIZE[1]}
        break
    card = make_card(title, subtitle, colour)
    return {"url": absolute_url(default_storage.url(card)), "width": PREVIEW_SIZE[0], "height": PREVIEW_SIZE[1]}


def whatsapp_number(storefront) -> str:
    """The store's WhatsApp number in international digits (``08031234567`` → ``2348031234567``), or ``""``."""
    raw = str((storefront.contact_info or {}).get("whatsapp") or "")
    digits = re.sub(r"\D", "", raw)
    if digits.startswith("0") and len(digits) == 11:
        digits = "234" + digits[1:]
    return digits if 8 <= len(digits) <= 15 else ""


def _image_name(product) -> str:
    images = getattr(product, "ordered_images", None) or []
    return images[0].image.name if images else ""


def _card(store_product, custom_url: str) -> dict:
    product = store_product.product
    return {
        "name": product.name,
        "url": product_url(custom_url, product.slug),
        "price": shopper_unit_price(selling_price=store_product.selling_price),
        "in_stock": product.stock_quantity > 0,
        "image": picture(_image_name(product), product.name),
    }


def _store_context(storefront) -> dict:
    entrepreneur = storefront.entrepreneur
    return {
        "store": {
            "name": entrepreneur.business_name,
            "custom_url": entrepreneur.custom_url,
            "url": storefront_url(entrepreneur.custom_url),
            "cart_url": f"{storefront_url(entrepreneur.custom_url)}cart/",
            "bio": entrepreneur.bio,
            "about": storefront.about_section,
            "colour": theme_colour(storefront),
        },
        "site_name": "Payjaro",
    }


def _record(request, event_type: str, page: StorePage) -> None:
    """One view event per GET of a person; HEAD probes and preview bots are not views."""
    if request.method != "GET" or is_preview_bot(request):
        return
    metadata = {"custom_url": page.custom_url}
    if source_of(request):
        metadata["src"] = source_of(request)
    referrer = request.META.get("HTTP_REFERER", "")[:300]
    if referrer:
        metadata["referrer"] = referrer
    # Buffered (analytics.buffer): off the hot path when there is a Redis buffer, written at once otherwise.
    view_event_record(request=request, event_type=event_type, metadata=metadata,
                      entrepreneur_id=page.entrepreneur_id, product_id=page.product_id)


def _remember_source(request, response: HttpResponse) -> HttpResponse:
    """The share channel of the visit, kept for the order (``source_channel``); written only when it changes. A
    response that writes it sets this visitor's session cookie: it is made ``private``, so that no shared cache
    (a CDN, a proxy) keeps it and hands that one session — its cart — to every later visitor."""
    source = source_of(request)
    if source and request.session.get("payjaro_src") != source:
        request.session["payjaro_src"] = source
        response["Cache-Control"] = f"private, {HTML_CACHE_CONTROL}"
    return response


def _html(page: StorePage, request, *, personal: bool) -> HttpResponse:
    body = page.body
    if personal:
        body = body.replace(CSRF_PLACEHOLDER.encode(), get_token(request).encode())
    response = HttpResponse(body, content_type="text/html; charset=utf-8")
    response["Cache-Control"] = f"{'private' if personal else 'public'}, {HTML_CACHE_CONTROL}"
    return response


def not_found_page(request, message: str = "We could not find that page.", store: dict | None = None):
    context = {"message": message, "site_name": "Payjaro"}
    if store:
        context["store"] = store
    response = render(request, "public/404.html", context, status=404)
    response["Cache-Control"] = "no-cache"
    return response


def _render(template: str, context: dict) -> bytes:
    return render_to_string(template, context).encode()


# --- pages -----------------------------------------------------------------------------------------

@require_safe
def landing_page(request):
    response = render(request, "public/landing.html", {"site_name": "Payjaro", "canonical_url": absolute_url("/")})
    response["Cache-Control"] = "public, max-age=300"
    return response


@require_safe
def storefront_page(request, custom_url: str):
    page_number = (request.GET.get("page") or "1").strip()
    key = page_key(request, "storefront.html", custom_url, page_number)
    try:
        response = serve_store_page(
            request, key=key, custom_url=custom_url, render=lambda html: html,
            build=lambda storefront: (_storefront_html(storefront, page_number), None),
            record=lambda page: _record(request, "storefront_view", page),
            respond=lambda page: _html(page, request, personal=False),
        )
    except NotFound as exc:
        return not_found_page(request, exc.message)
    return _remember_source(request, response)


def _storefront_html(storefront, page_number: str) -> bytes:
    context = _store_context(storefront)
    store = context["store"]
    entrepreneur = storefront.entrepreneur
    paginator = Paginator(public_store_products(storefront=storefront), PAGE_SIZE)
    try:
        page = paginator.page(page_number)
    except (EmptyPage, PageNotAnInteger):
        raise NotFound("That page of the store does not exist.")
    featured = public_featured_store_products(storefront=storefront) if page.number == 1 else []
    products = [_card(item, store["custom_url"]) for item in page.object_list]
    base = store["url"]
    title = storefront.seo_title or f"{entrepreneur.business_name} - Payjaro Store"
    description = storefront.seo_description or _short(
        entrepreneur.bio or f"Shop from {entrepreneur.business_name} on Payjaro"
    )
    first_product_image = next(
        (_image_name(item.product) for item in [*featured, *page.object_list] if _image_name(item.product)), ""
    )
    featured_cards = [_card(item, store["custom_url"]) for item in featured]
    for card in [*featured_cards, *products][:EAGER_IMAGES]:  # above the fold on a phone: not lazy
        card["eager"] = True
    context.update({
        "banner": picture_banner(entrepreneur.banner_image.name, entrepreneur.business_name),
        "featured": featured_cards,
        "products": products,
        "page": {
            "number": page.number, "count": paginator.num_pages, "total": paginator.count,
            "previous": (base if page.number == 2 else f"{base}?page={page.number - 1}") if page.has_previous() else "",
            "next": f"{base}?page={page.number + 1}" if page.has_next() else "",
        },
        "meta": {
            "title": title if page.number == 1 else f"{title} (page {page.number})",
            "description": description,
            "canonical": base if page.number == 1 else f"{base}?page={page.number}",
            "type": "website",
            "image": preview_image(
                names=[entrepreneur.banner_image.name, first_product_image],
                title=entrepreneur.business_name, subtitle=_short(entrepreneur.bio, 60), colour=store["colour"],
            ),
        },
    })
    return _render("public/storefront.html", context)


def picture_banner(name: str, alt: str) -> dict | None:
    """The banner as stored (≤ 1200×400) with its smaller copies for narrow screens."""
    if not name:
        return None
    url = default_storage.url
    return {"src": url(name), "width": 1200, "height": 400, "alt": alt}


@require_safe
def product_page(request, custom_url: str, product_slug: str):
    key = page_key(request, "product.html", custom_url, product_slug)
    try:
        response = serve_store_page(
            request, key=key, custom_url=custom_url, render=lambda html: html,
            build=lambda storefront: _product_html(storefront, product_slug),
            record=lambda page: _record(request, "product_view", page),
            respond=lambda page: _html(page, request, personal=True),
        )
    except NotFound as exc:
        return not_found_page(request, exc.message)
    return _remember_source(request, response)


def _product_html(storefront, product_slug: str) -> tuple[bytes, int]:
    context = _store_context(storefront)
    store = context["store"]
    entrepreneur = storefront.entrepreneur
    store_product = public_store_product_get(storefront=storefront, product_slug=product_slug)
    product = store_product.product
    url = product_url(store["custom_url"], product.slug)
    variations = []
    for variation in product.active_variations:
        price = shopper_unit_price(selling_price=store_product.selling_price, price_modifier=variation.price_modifier)
        variations.append({
            "id": variation.id, "name": variation.name, "price": price,
            "stock": variation.stock_quantity, "in_stock": variation.stock_quantity > 0,
        })
    stock = product.stock_quantity
    in_stock = stock > 0 and (not variations or any(v["in_stock"] for v in variations))
    images = [picture(image.image.name, image.alt_text or product.name) for image in product.ordered_images]
    price = shopper_unit_price(selling_price=store_product.selling_price)
    whatsapp = whatsapp_number(storefront)
    links = share_links(
        target_url=url, text=f"Check out {product.name} from {entrepreneur.business_name}!",
        custom_url=store["custom_url"], product_slug=product.slug,
    )
    context.update({
        "product": {
            "id": product.id, "name": product.name, "description": product.description,
            "category": product.category.name if product.category else "",
            "price": price, "stock": stock, "in_stock": in_stock,
            "low_stock": 0 < stock <= LOW_STOCK, "max_quantity": max(1, min(stock, 99)),
            "images": images, "variations": variations, "url": url,
        },
        "share": {"whatsapp": links["whatsapp"], "facebook": links["facebook"], "x": links["twitter"],
                  "link": links["copy_link"]},
        "whatsapp_order": (
            f"https://wa.me/{whatsapp}?text="
            + quote(f"Hello {entrepreneur.business_name}, I would like to order {product.name} "
                    f"({naira(price)}): {url}", safe="")
        ) if whatsapp else "",
        "csrf_token_placeholder": CSRF_PLACEHOLDER,
        "meta": {
            "title": f"{product.name} - {entrepreneur.business_name}",
            "description": _short(product.description) or f"{product.name} at {naira(price)} from "
                                                             f"{entrepreneur.business_name} on Payjaro",
            "canonical": url,
            "type": "product",
            "price": price,
            "image": preview_image(
                names=[_image_name(product), entrepreneur.banner_image.name],
                title=product.name, subtitle=f"{naira(price)} · {entrepreneur.business_name}",
                colour=store["colour"],
            ),
        },
    })
    return _render("public/product.html", context), product.id


# --- the cart (never cached: it is the visitor's own) -----------------------------------------------

def _record_add_to_cart(request, storefront, listing, variation, quantity: int) -> None:
    if is_preview_bot(request):
        return
    metadata = {"custom_url": storefront.entrepreneur.custom_url, "quantity": quantity}
    if variation is not None:
        metadata["variation_id"] = variation.id
    source = request.session.get("payjaro_src")
    if source in ShareChannel.values:
        metadata["src"] = source
    event_record(request=request, event_type="add_to_cart", entrepreneur=storefront.entrepreneur,
                 product=listing.product, metadata=metadata)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def cart_page(request, custom_url: str):
    try:
        storefront = public_storefront_get(custom_url=custom_url)
    except NotFound as exc:
        return not_found_page(request, exc.message)
    context = _store_context(storefront)
    store = context["store"]
    if request.method == "POST":
        return _cart_post(request, storefront, store)

    def describe(listing):
        product = listing.product
        return product_url(store["custom_url"], product.slug), picture(_image_name(product), product.name)

    cart = cart_view(request.session, storefront=storefront, describe=describe)
    context.update({"cart": cart, "meta": None, "checkout_url": _checkout_url(store)})
    response = render(request, "public/cart.html", context)
    response["X-Robots-Tag"] = "noindex"
    return response


def _checkout_url(store: dict) -> str:
    """The checkout page of this store, once it exists (``public-checkout``)."""
    try:
        return reverse("public-checkout", kwargs={"custom_url": store["custom_url"]})
    except NoReverseMatch:
        return ""


def _cart_post(request, storefront, store: dict):
    action = request.POST.get("action", "")
    target = store["cart_url"]
    try:
        if action == "add":
            listing, variation, quantity = cart_add(
                request.session, storefront=storefront, product=request.POST.get("product"),
                variation=request.POST.get("variation"), quantity=request.POST.get("quantity") or 1,
            )
            _record_add_to_cart(request, storefront, listing, variation, quantity)
            messages.success(request, f"Added {listing.product.name} to your cart.")
            if request.POST.get("buy_now") and _checkout_url(store):
                target = _checkout_url(store)
        elif action == "update":
            cart_set_quantity(request.session, storefront=storefront, key=request.POST.get("line", ""),
                              quantity=request.POST.get("quantity"))
        elif action == "remove":
            cart_remove(request.session, storefront=storefront, key=request.POST.get("line", ""))
        else:
            raise ValidationFailed("Unknown cart action.")
    except (ValidationFailed, NotFound) as exc:
        messages.error(request, exc.message)
    response = HttpResponseRedirect(target)
    response.status_code = 303  # see other: the browser GETs the cart (no resubmission on reload)
    return response


def csrf_failure(request, reason: str = ""):
    """A form posted without a valid CSRF token (an old page, cookies off): a 403 page, never a 500."""
    response = render(request, "public/403_csrf.html", {"site_name": "Payjaro"}, status=403)
    response["Cache-Control"] = "no-store"
    return response
