"""Container health probe (Docker HEALTHCHECK): GET /health/ on the local gunicorn; exit 0 only on HTTP 200.

Uses the standard library only (no curl in the image). The Host header is the first entry of ALLOWED_HOSTS
(a leading dot stripped), so Django's host validation accepts the probe; /health/ is exempt from the HTTPS
redirect. HEALTHCHECK_URL overrides the address (default http://127.0.0.1:$PORT/health/).
"""
import os
import sys
import urllib.error
import urllib.request


def main() -> int:
    url = os.environ.get("HEALTHCHECK_URL") or f"http://127.0.0.1:{os.environ.get('PORT', '8000')}/health/"
    hosts = [host.strip().lstrip(".") for host in os.environ.get("ALLOWED_HOSTS", "").split(",")]
    host = next((host for host in hosts if host and host != "*"), "localhost")
    request = urllib.request.Request(url, headers={"Host": host, "X-Forwarded-Proto": "https"})
    try:
        with urllib.request.urlopen(request, timeout=float(os.environ.get("HEALTHCHECK_TIMEOUT", "4"))) as response:
            status = response.status
            body = response.read(500)
    except urllib.error.HTTPError as exc:
        status, body = exc.code, exc.read(500)
    except OSError as exc:  # refused, timed out, DNS…
        print(f"health: {url} unreachable: {exc}", file=sys.stderr)
        return 1
    if status != 200:
        print(f"health: {url} answered {status}: {body[:300]!r}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
