"""Refuse NUL characters in the URL once, before any view or query sees them.

``/api/payments/verify/%00/`` or ``?status=%00`` would otherwise reach the database, and PostgreSQL refuses
NUL in text ("A string literal cannot contain NUL"), which surfaces as a 500. Bodies are checked by
``core.parsers``.
"""
from django.http import JsonResponse

from .exceptions import error_body

NUL = "\x00"


class RejectNulMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if NUL in request.path_info or NUL in request.path or self._query_has_nul(request):
            return JsonResponse(error_body("The request contains a NUL character.", "nul_character",
                                           {"url": ["NUL characters are not allowed."]}), status=400)
        return self.get_response(request)

    @staticmethod
    def _query_has_nul(request) -> bool:
        return any(NUL in key or any(NUL in value for value in values) for key, values in request.GET.lists())


class EmptyApiAnswerContentTypeMiddleware:
    """A ``204 No Content`` from the API says ``Content-Type: application/json`` like every other API answer.

    DRF drops the header when a response has no body. The OpenAPI 2 schema can only declare the media types
    an operation produces for all its responses at once (``application/json``), so a client or a contract
    checker (schemathesis' ``content_type_conformance`` in CI) that reads the header of a 204 would find
    none. The body stays empty; only the header is restored, and only on ``/api/`` paths.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 204 and request.path.startswith("/api/") and not response.has_header("Content-Type"):
            response["Content-Type"] = "application/json"
        return response
