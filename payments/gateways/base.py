"""What every gateway client shares: one HTTP helper that turns transport failures into typed errors."""
import functools
import http.cookiejar
import logging
import os
import threading
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings

from core.errors import GatewayError, GatewayUnavailable

logger = logging.getLogger(__name__)

# Our normalised payment statuses (each gateway maps its own words onto these).
SUCCESS = "success"
FAILED = "failed"
PENDING = "pending"


@dataclass(frozen=True)
class InitializeResult:
    payment_url: str
    reference: str
    raw: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Verification:
    """The gateway's own view of a charge, fetched by us (never taken from a webhook body)."""

    status: str  # SUCCESS | FAILED | PENDING
    amount: Decimal | None  # naira, exact
    currency: str
    provider_reference: str = ""  # the gateway's id for the charge (needed for refunds)
    gateway_status: str = ""  # the gateway's own word, for the record
    raw: dict = field(default_factory=dict)


@dataclass(frozen=True)
class RefundResult:
    """The gateway's word on a refund: SUCCESS only once the money went back (Paystack ``processed``,
    Flutterwave ``completed``), FAILED when it will not, PENDING while it is on its way."""

    status: str  # SUCCESS | PENDING | FAILED
    provider_reference: str = ""
    raw: dict = field(default_factory=dict)
    amount: Decimal | None = None  # what the refund gives back (naira), when the gateway says



# A call the gateway did not answer (timed out) may still be taken up by it for a while: it is taken to be over
# (answered or abandoned) this long after it was sent, at the least, and at least 4 × PAYMENT_GATEWAY_TIMEOUT. Until
# then a run that finds it unanswered must neither send it again unchecked nor take "not found" as final.
UNANSWERED_CALL_MIN_SECONDS = 120


def unanswered_call_window() -> timedelta:
    return timedelta(seconds=max(UNANSWERED_CALL_MIN_SECONDS, 4 * settings.PAYMENT_GATEWAY_TIMEOUT))


_sessions = threading.local()


def gateway_session() -> requests.Session:
    """This thread's HTTP session: its connections to a gateway are kept alive between calls, so a verify or an
    initialize does not pay a new TCP + TLS handshake each time (``requests.request`` opens a session per call).

    One per thread (a ``Session`` is not meant to be shared across threads) and per process (a session made
    before a fork would share its sockets with the child). It keeps no cookies: each call carries only what we
    send. ``HttpClient._send`` retries only a GET whose reused connection broke; a POST that failed mid-way
    surfaces as ``GatewayUnavailable`` exactly as before, never as a silent second charge or refund.

    The environment's proxy and CA-bundle settings are read once (``environment_proxies``, the CA bundle below),
    not on every call as ``requests`` does with ``trust_env`` (0.15 ms of a webhook's verify); and ``~/.netrc`` is
    never read: ``requests`` would let an entry for the gateway's host replace our bearer key with Basic auth."""
    session = getattr(_sessions, "session", None)
    if session is None or _sessions.pid != os.getpid():
        session = requests.Session()
        session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
        session.trust_env = False
        session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        _sessions.session, _sessions.pid = session, os.getpid()
    return session


@functools.lru_cache(maxsize=64)
def _origin_proxies(origin: str) -> dict[str, str]:
    return requests.utils.get_environ_proxies(origin)


def environment_proxies(url: str) -> dict[str, str]:
    """The proxies the environment (``HTTPS_PROXY``, ``NO_PROXY``…) names for ``url``, as ``requests`` would find
    them with ``trust_env``: read once per scheme and host in a process, so a change of those variables takes a
    restart (as any setting does). A redirect keeps the proxies of the URL asked (with ``trust_env`` requests would
    look again at the redirect's host); the gateways' APIs answer without redirects."""
    parts = urlsplit(url)
    return _origin_proxies(f"{parts.scheme}://{parts.netloc}")


class HttpClient:
    """JSON over HTTPS with a bearer key. Timeouts/connection errors/5xx → GatewayUnavailable (503, worth
    retrying); any other non-2xx or unparsable answer → GatewayError (502)."""

    name = "gateway"

    def __init__(self, *, base_url: str, secret_key: str, timeout: int | None = None):
        self.base_url = base_url.rstrip("/")
        self.secret_key = secret_key
        self.timeout = timeout or settings.PAYMENT_GATEWAY_TIMEOUT

    def _send(self, method: str, url: str, *, headers: dict, json: dict | None = None,
              params: dict | None = None) -> requests.Response:
        """One call on this thread's kept-alive session. A read (GET) whose connection broke before any answer —
        the gateway closed an idle kept-alive connection just as we reused it — is sent once more on a new
        connection; a timeout is not retried (the gateway may be slow, not gone), nor is any POST (a charge or
        a refund must never be sent twice).

        The request is prepared with ``requests``' own ``Request.prepare`` (the session's default headers under
        ours) and handed straight to the session's connection adapter, the step ``Session.send`` ends in: what
        the session would add on the way costs ≈ 0.3 ms a call and does nothing here — it merges settings we set
        once (``gateway_session``), keeps cookies we refuse, runs no hooks, and follows redirects, which the
        gateways' APIs do not answer with (a 3xx is returned as it is, and read as an unusable answer)."""
        session = gateway_session()
        prepared = requests.Request(method, url, headers={**session.headers, **headers}, json=json,
                                    params=params).prepare()
        adapter = session.get_adapter(url)
        options = {"timeout": self.timeout, "proxies": environment_proxies(url), "verify": session.verify,
                   "cert": session.cert, "stream": False}
        try:
            response = adapter.send(prepared, **options)
        except requests.ConnectionError as exc:
            if method.upper() != "GET" or isinstance(exc, requests.Timeout):
                raise
            logger.info("%s GET %s: connection broke (%s); once more on a new connection", self.name, url, exc)
            response = adapter.send(prepared, **options)
        response.content  # noqa: B018 — read the whole answer now, so the connection goes back to the pool
        return response

    def request(self, method: str, path: str, *, json: dict | None = None, params: dict | None = None) -> dict[str, Any]:
        url = f"{self.base_url}{path}"
        headers = {"Authorization": f"Bearer {self.secret_key}", "Accept": "application/json"}
        try:
            response = self._send(method, url, json=json, params=params, headers=headers)
        except (requests.Timeout, requests.ConnectionError) as exc:
            logger.warning("%s %s %s unreachable: %s", self.name, method, path, exc)
            raise GatewayUnavailable(f"{self.name.capitalize()} is unavailable. Please try again.") from exc
        except requests.RequestException as exc:
            logger.error("%s %s %s failed: %s", self.name, method, path, exc)
            raise GatewayError(f"{self.name.capitalize()} request failed.") from exc
        if response.status_code >= 500 or response.status_code == 429:  # an outage or rate limit: retry, never final
            logger.warning("%s %s %s answered %s", self.name, method, path, response.status_code)
            raise GatewayUnavailable(f"{self.name.capitalize()} is unavailable. Please try again.")
        try:
            body = response.json()
        except ValueError as exc:
            logger.error("%s %s %s answered non-JSON (%s)", self.name, method, path, response.status_code)
            raise GatewayError(f"{self.name.capitalize()} returned an unreadable answer.") from exc
        if not isinstance(body, dict):
            raise GatewayError(f"{self.name.capitalize()} returned an unreadable answer.")
        if response.status_code >= 400:
            message = str(body.get("message") or f"HTTP {response.status_code}")
            logger.warning("%s %s %s refused (%s): %s", self.name, method, path, response.status_code, message)
            raise GatewayError(f"{self.name.capitalize()}: {message}", details={"status_code": response.status_code})
        return body
