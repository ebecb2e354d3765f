"""The gateway clients keep their connection alive between calls (one TCP/TLS handshake, not one per call),
per thread, and never send back a cookie a gateway set. Measured against a real HTTP/1.1 server on loopback,
since ``responses`` mocks below the connection pool and could not tell."""
import json
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from core.errors import GatewayUnavailable
from payments.gateways import SUCCESS, PaystackClient, base
from payments.gateways.base import environment_proxies, gateway_session


class _Gateway:
    """Answers Paystack's verify shape; records which client connection each request came on."""

    def __init__(self):
        self.connections: list[tuple] = []
        self.cookies: list[str | None] = []
        self.authorizations: list[str | None] = []
        self.paths: list[str] = []
        self.headers: list[dict] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the real gateways speak
            disable_nagle_algorithm = True

            def do_GET(self):  # noqa: N802 — http.server's naming
                gateway.connections.append(self.client_address)
                gateway.cookies.append(self.headers.get("Cookie"))
                gateway.authorizations.append(self.headers.get("Authorization"))
                gateway.paths.append(self.path)
                gateway.headers.append(dict(self.headers))
                reference = self.path.rsplit("/", 1)[-1]
                raw = json.dumps({"status": True, "message": "Verification successful", "data": {
                    "id": 1000 + len(gateway.connections), "status": "success", "reference": reference,
                    "amount": 150000, "currency": "NGN"}}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.send_header("Set-Cookie", "__cf_bm=tracking; Path=/")
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def _serving(settings, server: "_Gateway"):
    """Point the Paystack client at ``server`` for one test, and stop it afterwards."""
    settings.PAYSTACK_BASE_URL = server.url
    yield server
    server.close()


@pytest.fixture
def gateway(settings):
    yield from _serving(settings, _Gateway())


def test_consecutive_calls_share_one_connection_and_send_no_cookie(gateway):
    client = PaystackClient()
    results = [client.verify(f"PAY-{n}") for n in range(3)]
    assert [r.status for r in results] == [SUCCESS] * 3
    assert [r.amount for r in results] == [Decimal("1500.00")] * 3
    assert len(gateway.connections) == 3
    assert len(set(gateway.connections)) == 1  # one handshake for three calls
    assert gateway.cookies == [None, None, None]  # the gateway's Set-Cookie is not sent back


def test_the_request_carries_our_headers_over_the_sessions_defaults(gateway):
    assert PaystackClient().verify("PAY-1").status == SUCCESS
    (headers,) = gateway.headers
    assert headers["Authorization"] == f"Bearer {PaystackClient().secret_key}"
    assert headers["Accept"] == "application/json"  # ours, over the session's */*
    assert headers["User-Agent"].startswith("python-requests/")  # the session's default (some edges refuse none)
    assert "gzip" in headers["Accept-Encoding"]


def test_a_redirect_is_not_followed_and_reads_as_an_unusable_answer(rsps):
    """The gateways' APIs answer without redirects: a 3xx is not followed (our bearer key goes nowhere else)."""
    from core.errors import GatewayError

    client = PaystackClient()
    rsps.get(f"{client.base_url}/transaction/verify/PAY-1", status=302,
             headers={"Location": "https://elsewhere.example/verify"})
    with pytest.raises(GatewayError):
        client.verify("PAY-1")
    assert len(rsps.calls) == 1


def test_each_thread_has_its_own_session(gateway):
    here = gateway_session()
    assert gateway_session() is here
    there: list = []
    worker = threading.Thread(target=lambda: there.append(gateway_session()))
    worker.start()
    worker.join(timeout=5)
    assert there and there[0] is not here


class _ClosingGateway(_Gateway):
    """Answers the first request of each connection, then drops the connection when the next request on it
    arrives, without an answer: a kept-alive connection the gateway closed just as the client reused it."""

    def __init__(self):
        super().__init__()
        served = self.server.RequestHandlerClass
        gateway = self

        class Handler(served):
            def handle_one_request(self):
                self.requests_here = getattr(self, "requests_here", 0) + 1
                if self.requests_here > 1:
                    self.raw_requestline = self.rfile.readline(65537)  # read the request, answer nothing
                    gateway.dropped += 1
                    self.close_connection = True
                    return
                super().handle_one_request()

        self.dropped = 0
        self.server.RequestHandlerClass = Handler


@pytest.fixture
def closing_gateway(settings):
    yield from _serving(settings, _ClosingGateway())


def test_a_read_on_a_connection_the_gateway_dropped_is_sent_once_more(closing_gateway):
    client = PaystackClient()
    assert client.verify("PAY-1").status == SUCCESS
    assert client.verify("PAY-2").status == SUCCESS  # the reused connection broke: once more, on a new one
    assert closing_gateway.dropped == 1
    assert len(set(closing_gateway.connections)) == 2


def test_a_post_on_a_dropped_connection_is_never_sent_twice(closing_gateway):
    client = PaystackClient()
    assert client.verify("PAY-1").status == SUCCESS
    with pytest.raises(GatewayUnavailable):
        client.request("POST", "/refund", json={"transaction": "PAY-1"})
    assert closing_gateway.dropped == 1 and len(closing_gateway.connections) == 1


@pytest.fixture
def fresh_environment(monkeypatch):
    """The proxy settings are read once per process and origin: forgotten around each of these tests."""
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY",
                 "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    base._origin_proxies.cache_clear()
    yield monkeypatch
    base._origin_proxies.cache_clear()


def test_a_netrc_entry_for_the_gateway_never_replaces_the_bearer_key(gateway, tmp_path, fresh_environment):
    netrc = tmp_path / ".netrc"
    netrc.write_text("machine 127.0.0.1 login someone password not-our-key\n")
    netrc.chmod(0o600)
    fresh_environment.setenv("NETRC", str(netrc))
    fresh_environment.setenv("HOME", str(tmp_path))
    assert PaystackClient().verify("PAY-1").status == SUCCESS
    assert gateway.authorizations == [f"Bearer {PaystackClient().secret_key}"]


def test_the_environment_proxy_is_used_and_no_proxy_honoured(gateway, settings, fresh_environment):
    """``HTTP_PROXY`` names the proxy (here the test's server, which answers as the gateway would): the request goes
    to it with the gateway's absolute URL; a host in ``NO_PROXY`` is reached directly."""
    fresh_environment.setenv("HTTP_PROXY", gateway.url)
    fresh_environment.setenv("NO_PROXY", "direct.example")
    settings.PAYSTACK_BASE_URL = "http://paystack.example"  # reachable only through the proxy
    assert PaystackClient().verify("PAY-1").status == SUCCESS
    assert gateway.paths == ["http://paystack.example/transaction/verify/PAY-1"]
    assert environment_proxies("http://paystack.example/x")["http"] == gateway.url
    assert environment_proxies("http://direct.example/x") == {}


def test_the_proxy_settings_are_read_once_per_origin(fresh_environment):
    fresh_environment.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    assert environment_proxies("https://api.paystack.co/transaction/verify/A") == {"https": "http://proxy.example:3128"}
    fresh_environment.delenv("HTTPS_PROXY")
    assert environment_proxies("https://api.paystack.co/transaction/verify/B") == {"https": "http://proxy.example:3128"}
    assert base._origin_proxies.cache_info().misses == 1


def _new_thread_session_verify() -> list:
    seen: list = []
    worker = threading.Thread(target=lambda: seen.append(gateway_session().verify))  # a thread's session is new
    worker.start()
    worker.join(timeout=5)
    return seen


def test_the_ca_bundle_the_environment_names_is_verified_against(monkeypatch, tmp_path):
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    assert _new_thread_session_verify() == [True]  # certifi's bundle, as requests' default
    monkeypatch.setenv("CURL_CA_BUNDLE", str(tmp_path / "curl.pem"))
    assert _new_thread_session_verify() == [str(tmp_path / "curl.pem")]
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "requests.pem"))  # first, as in requests
    assert _new_thread_session_verify() == [str(tmp_path / "requests.pem")]
