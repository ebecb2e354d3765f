"""drf-yasg schema class that documents the SPEC's error shape on every operation."""
from drf_yasg import openapi
from drf_yasg.inspectors import SwaggerAutoSchema

ERROR_SCHEMA = openapi.Schema(
    title="Error",
    type=openapi.TYPE_OBJECT,
    required=["error"],
    properties={
        "error": openapi.Schema(type=openapi.TYPE_STRING, description="Human-readable message"),
        "details": openapi.Schema(type=openapi.TYPE_OBJECT, description="Per-field or extra information"),
    },
)

_ERRORS = {
    "400": "Invalid input",
    "401": "Not authenticated",
    "403": "Role not allowed",
    "404": "Not found (or not yours)",
    "409": "State conflict",
    "429": "Too many requests",
}


class ErrorAwareAutoSchema(SwaggerAutoSchema):
    def get_response_serializers(self):
        responses = super().get_response_serializers()
        for code, description in _ERRORS.items():
            responses.setdefault(code, openapi.Response(description, ERROR_SCHEMA))
        return responses
