"""The domain error family. Services raise these; ``core.exceptions`` maps them to the SPEC's JSON.

``code`` is the machine-readable ``code`` of the error body; a raise may pass a more specific one
(``Conflict(..., code="already_paid")``). Codes are part of the API: rename one only with a changelog entry.
"""
from typing import Any


class ApplicationError(Exception):
    """Base of every error a service raises on purpose. ``status_code`` is the HTTP status."""

    status_code = 400
    default_message = "Invalid request."
    code = "bad_request"

    def __init__(self, message: str | None = None, *, details: dict[str, Any] | None = None, code: str | None = None):
        self.message = message or self.default_message
        self.details = details
        if code:
            self.code = code
        super().__init__(self.message)


class ValidationFailed(ApplicationError):
    status_code = 400
    default_message = "Invalid input."
    code = "validation_failed"


class NotAuthenticated(ApplicationError):
    status_code = 401
    default_message = "Authentication credentials were not provided or are invalid."
    code = "authentication_failed"


class PermissionDenied(ApplicationError):
    status_code = 403
    default_message = "You do not have permission to perform this action."
    code = "permission_denied"


class NotFound(ApplicationError):
    status_code = 404
    default_message = "Not found."
    code = "not_found"


class Conflict(ApplicationError):
    status_code = 409
    default_message = "The request conflicts with the current state."
    code = "conflict"


class InvalidTransition(Conflict):
    code = "invalid_transition"
    default_message = "This status change is not allowed."


class InsufficientStock(Conflict):
    code = "insufficient_stock"
    default_message = "Not enough stock."


class PriceChanged(Conflict):
    code = "price_changed"
    default_message = "The price has changed."


class PayloadTooLarge(ApplicationError):
    status_code = 413
    default_message = "The upload is too large."
    code = "too_large"


class GatewayError(ApplicationError):
    """The payment/SMS gateway answered with an error or garbage."""

    status_code = 502
    default_message = "The payment gateway returned an error."
    code = "gateway_error"


class GatewayUnavailable(GatewayError):
    """The gateway could not be reached (timeout, connection refused)."""

    status_code = 503
    default_message = "The payment gateway is unavailable. Please try again."
    code = "gateway_unavailable"
