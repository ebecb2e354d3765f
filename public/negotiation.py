"""Which representation of a public page a client gets, and whether it is a link-preview bot (SPEC §9).

``/<custom_url>/`` and ``/<custom_url>/product/<slug>/`` answer HTML to browsers, preview bots,
``*/*`` and clients that send no Accept header; JSON only to a client that prefers it
(``application/json`` ranked above ``text/html``) or asks with ``?format=json``.
"""
import re
from collections.abc import Callable

from django.utils.cache import patch_vary_headers

_HTML_TYPES = ("text/html", "application/xhtml+xml")
_JSON_TYPES = ("application/json",)

# User agents of the crawlers that fetch a link to draw its preview (or index it). They are served
# the page like anybody else but never counted as a view, a visitor or a share.
PREVIEW_BOT_PATTERN = re.compile(
    r"whatsapp|facebookexternalhit|facebookcatalog|facebot|meta-externalagent|twitterbot|telegrambot|slackbot"
    r"|linkedinbot|googlebot|google-inspectiontool|adsbot-google|bingbot|bingpreview|applebot|discordbot"
    r"|skypeuripreview|pinterest|redditbot|embedly|yandexbot|duckduckbot|baiduspider|vkshare|snapchat"
    r"|viber|iframely|outbrain|quora link preview|mastodon|crawler|spider",
    re.IGNORECASE,
)


def is_preview_bot(request) -> bool:
    return bool(PREVIEW_BOT_PATTERN.search(request.META.get("HTTP_USER_AGENT", "")[:500]))


def _accept_ranges(header: str) -> list[tuple[str, float]]:
    ranges = []
    for part in header.split(","):
        fields = [field.strip() for field in part.split(";")]
        media = fields[0].lower()
        if not media:
            continue
        quality = 1.0
        for param in fields[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = max(0.0, min(1.0, float(value)))
                except ValueError:
                    quality = 0.0
        ranges.append((media, quality))
    return ranges


def _quality(ranges: list[tuple[str, float]], media_types: tuple[str, ...]) -> float:
    """RFC 9110 precedence: an exact type beats ``type/*``, which beats ``*/*``."""
    for candidates in (media_types, tuple(t.split("/")[0] + "/*" for t in media_types), ("*/*",)):
        matches = [quality for media, quality in ranges if media in candidates]
        if matches:
            return max(matches)
    return 0.0


def wants_json(request) -> bool:
    requested = (request.GET.get("format") or "").strip().lower()
    if requested in ("json", "html"):
        return requested == "json"
    header = request.META.get("HTTP_ACCEPT", "").strip()
    if not header:
        return False
    ranges = _accept_ranges(header)
    return _quality(ranges, _JSON_TYPES) > _quality(ranges, _HTML_TYPES)


def negotiated(json_view: Callable, html_view: Callable) -> Callable:
    """One URL, two representations: ``json_view`` for JSON clients, ``html_view`` otherwise; ``Vary: Accept``."""

    def view(request, *args, **kwargs):
        handler = json_view if wants_json(request) else html_view
        response = handler(request, *args, **kwargs)
        patch_vary_headers(response, ("Accept",))
        return response

    view.__name__ = getattr(html_view, "__name__", "negotiated")
    # The schema generator (drf-yasg) documents the JSON representation: it looks for the DRF view class here.
    for attribute in ("cls", "initkwargs", "view_class", "view_initkwargs"):
        if hasattr(json_view, attribute):
            setattr(view, attribute, getattr(json_view, attribute))
    return view
