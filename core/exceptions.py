"""One DRF exception handler producing ``{"error": "<message>", "code": "<machine code>", "details": {...}}``.

``error`` is for people, ``code`` is for programs: a stable snake_case name a frontend can switch on
(``price_changed``, ``insufficient_stock``, ``not_found`` …; the README lists them all). Domain errors carry
their own code (``core.errors``); DRF's and Django's exceptions are mapped here by class.
"""
import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import ApplicationError

logger = logging.getLogger(__name__)


def _first_message(detail) -> str:
    """The first human message inside a DRF error structure, prefixed with its field name."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            message = _first_message(value)
            if key in ("non_field_errors", "detail", "error"):
                return message
            return f"{key}: {message}"
    if isinstance(detail, list):
        for item in detail:
            message = _first_message(item)
            if message:
                return message
        return ""
    return str(detail)


# DRF's exception classes → our codes. Looked up along the MRO, so SimpleJWT's InvalidToken (an
# AuthenticationFailed) is ``authentication_failed`` too.
DRF_ERROR_CODES: dict[type, str] = {
    exceptions.ValidationError: "validation_failed",
    exceptions.ParseError: "parse_error",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
}


def drf_error_code(exc: exceptions.APIException) -> str:
    for klass in type(exc).__mro__:
        if klass in DRF_ERROR_CODES:
            return DRF_ERROR_CODES[klass]
    return str(getattr(exc, "default_code", "error"))


def error_body(message: str, code: str, details=None) -> dict:
    """The SPEC §4 error shape, for the few responses built outside the exception handler."""
    body = {"error": message, "code": code}
    if details:
        body["details"] = details
    return body


def error_response(message: str, status_code: int, details=None, headers=None, *, code: str = "error") -> Response:
    return Response(error_body(message, code, details), status=status_code, headers=headers)


def api_exception_handler(exc, context):
    if isinstance(exc, ApplicationError):
        return error_response(exc.message, exc.status_code, exc.details, code=exc.code)
    if isinstance(exc, DjangoValidationError):
        details = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(details)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # an unexpected error: a 500 with a log line, so it gets fixed rather than hidden

    headers = {}
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        headers["Retry-After"] = str(int(exc.wait) + (0 if exc.wait == int(exc.wait) else 1))

    if isinstance(exc, exceptions.ValidationError):
        details = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        message = _first_message(details) or "Invalid input."
        body = error_body(message, drf_error_code(exc), details)
    else:
        detail = getattr(exc, "detail", None)
        message = _first_message(detail) if detail is not None else "Error."
        body = error_body(message, drf_error_code(exc))
        if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            body["details"] = {"retry_after": headers["Retry-After"]}
    response.data = body
    for key, value in headers.items():
        response[key] = value
    if response.status_code == status.HTTP_401_UNAUTHORIZED and "WWW-Authenticate" not in response:
        response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response
