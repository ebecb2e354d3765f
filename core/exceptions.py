"""One DRF exception handler producing ``{"error": "<message>", "details": {...}}`` for every error."""
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


def error_response(message: str, status_code: int, details=None, headers=None) -> Response:
    body = {"error": message}
    if details:
        body["details"] = details
    return Response(body, status=status_code, headers=headers)


def api_exception_handler(exc, context):
    if isinstance(exc, ApplicationError):
        return error_response(exc.message, exc.status_code, exc.details)
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
        body = {"error": message, "details": details}
    else:
        detail = getattr(exc, "detail", None)
        message = _first_message(detail) if detail is not None else "Error."
        body = {"error": message}
        if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            body["details"] = {"retry_after": headers["Retry-After"]}
    response.data = body
    for key, value in headers.items():
        response[key] = value
    if response.status_code == status.HTTP_401_UNAUTHORIZED and "WWW-Authenticate" not in response:
        response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response
