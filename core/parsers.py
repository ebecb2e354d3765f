"""Request body parsing that turns every hostile body into a 400, never a 500.

One JSON decoder (``loads_untrusted``) serves the DRF parsers below and anything that reads a raw body
itself (the payment webhooks). It refuses, with ``ValidationFailed``:

- bodies that are not valid UTF-8 JSON (``NaN``/``Infinity`` included);
- nesting deeper than ``MAX_JSON_DEPTH`` (``"[" * 1000`` would otherwise raise ``RecursionError`` in the
  decoder, or later in a serializer or ``json.dumps``);
- a NUL character (``\\x00``, also written ``\\u0000``) in any string or key: PostgreSQL refuses it in
  text and ``jsonb`` columns, so it would surface as a database error at save time.

Form and multipart bodies get the same NUL check on their field names and values.
"""
import json
from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError

from .errors import ValidationFailed

MAX_JSON_DEPTH = 32
NUL = "\x00"


def _reject_constant(value: str):
    raise ValueError(f"{value} is not valid JSON.")


def check_untrusted(data: Any, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Walk decoded data iteratively (no recursion to exhaust): too deep or a NUL anywhere → ``ValidationFailed``."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if NUL in value:
                raise ValidationFailed("The request contains a NUL character.", code="nul_character")
        elif isinstance(value, dict | list):
            if depth > max_depth:
                raise ValidationFailed(f"The JSON body is nested deeper than {max_depth} levels.",
                                       code="too_deep")
            if isinstance(value, dict):
                for key, item in value.items():
                    if NUL in key:
                        raise ValidationFailed("The request contains a NUL character.", code="nul_character")
                    stack.append((item, depth + 1))
            else:
                stack.extend((item, depth + 1) for item in value)
    return data


def loads_untrusted(raw: bytes | str, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Decode a JSON document from outside: any problem → ``ValidationFailed`` (400) with a plain message."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes | bytearray) else raw
        data = json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise ValidationFailed(f"The JSON body is nested deeper than {max_depth} levels.", code="too_deep")
    except (ValueError, UnicodeDecodeError) as exc:  # JSONDecodeError is a ValueError
        raise ValidationFailed(f"The body is not valid JSON: {exc}", code="parse_error")
    return check_untrusted(data, max_depth=max_depth)


def _as_parse_error(exc: ValidationFailed) -> ParseError:
    return ParseError(exc.message, code=exc.code)


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with ``loads_untrusted``'s checks; errors are DRF ``ParseError`` (400)."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", "utf-8")
        try:
            raw = stream.read() if stream is not None else b""
            if isinstance(raw, bytes) and encoding.lower().replace("_", "-") not in ("utf-8", "utf8"):
                raw = raw.decode(encoding)
            return loads_untrusted(raw)
        except ValidationFailed as exc:
            raise _as_parse_error(exc)
        except (LookupError, UnicodeError) as exc:
            raise ParseError(f"The body cannot be decoded: {exc}")


def _check_querydict(data) -> None:
    for key, values in data.lists():
        if NUL in key or any(isinstance(value, str) and NUL in value for value in values):
            raise ParseError("The request contains a NUL character.", code="nul_character")


class FormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        _check_querydict(data)
        return data


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        result = super().parse(stream, media_type, parser_context)
        _check_querydict(result.data)
        for name in result.files:
            if NUL in name:
                raise ParseError("The request contains a NUL character.", code="nul_character")
        return result
