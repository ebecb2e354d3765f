"""Gunicorn's access log without the secret of a guest's order page (``/<store>/orders/<token>/``, SPEC §9).

The token is the only key to that page, so it must not sit in logs: the request line, path, query and
referrer atoms are redacted before the line is written. nginx.conf does the same for its own log.
"""
import re

from gunicorn.glogging import Logger

# The first path segment (a store), then orders/<token>: in a request line, a path or a full URL.
_ORDER_PAGE = re.compile(r"((?:^|\s|://[^/\s]+)/(?!api/)[\w-]+/orders/)[^/?\s\"]+")
REDACTED = "[token]"


def redact(text: str) -> str:
    return _ORDER_PAGE.sub(lambda match: match.group(1) + REDACTED, text)


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "f", "{raw_uri}e"):
            if isinstance(atoms.get(key), str):
                atoms[key] = redact(atoms[key])
        return atoms
