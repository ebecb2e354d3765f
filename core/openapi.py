"""drf-yasg schema class: every operation tagged by domain and documenting the SPEC's error shape.

Tags come from the URL (one table below, not a decorator per view), so a new endpoint lands in its domain's
group in Swagger UI. Every operation lists the error responses with the ``Error`` definition; the walk in
``tests/test_schema.py`` fails when an operation has no documented 2xx body or lacks them.
"""
from django.core.exceptions import FieldDoesNotExist
from drf_yasg import openapi
from drf_yasg.inspectors import FieldInspector, SwaggerAutoSchema
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    """The SPEC §4 error body (``core.exceptions``), the ``Error`` definition of the schema."""

    error = serializers.CharField(help_text="Human-readable message (may be reworded)")
    code = serializers.CharField(
        help_text="Stable machine code: validation_failed, parse_error, not_authenticated, authentication_failed, "
                  "permission_denied, not_found, method_not_allowed, price_changed, insufficient_stock, "
                  "invalid_transition, already_paid, throttled, … (README: API documentation)")
    details = serializers.JSONField(required=False, help_text="Per-field messages or extra information (an object)")

    class Meta:
        ref_name = "Error"


ERROR_RESPONSES = {
    "400": "Invalid input",
    "401": "Not authenticated",
    "403": "Role not allowed",
    "404": "Not found (or not yours)",
    "405": "Method not allowed",
    "406": "Not acceptable",
    "409": "State conflict",
    "413": "Payload too large",
    "415": "Unsupported media type",
    "429": "Too many requests",
}

# URL prefix → tag, first match wins (so the more specific prefixes come first).
TAGS_BY_PREFIX = (
    ("/api/users/", "users"),
    ("/api/entrepreneurs/", "entrepreneurs"),
    ("/api/social/", "storefront"),
    ("/api/suppliers/", "suppliers"),
    ("/api/products/", "catalog"),
    ("/api/orders/checkouts/", "checkouts"),
    ("/api/orders/", "orders"),
    ("/api/payments/wallet/", "wallet"),
    ("/api/payments/earnings/", "wallet"),
    ("/api/payments/withdrawals/", "withdrawals"),
    ("/api/payments/payment-methods/", "withdrawals"),
    ("/api/payments/", "payments"),
    ("/api/analytics/", "analytics"),
)
PUBLIC_TAG = "public"


def paginated(serializer_class: type[serializers.Serializer]) -> type[serializers.Serializer]:
    """The response of a paginated list (core.pagination) of ``serializer_class`` items, for ``responses=``."""
    name = serializer_class.__name__.removesuffix("Serializer")
    meta = type("Meta", (), {"ref_name": f"Paginated{name}"})
    return type(f"Paginated{name}Serializer", (serializers.Serializer,), {
        "count": serializers.IntegerField(),
        "next": serializers.URLField(allow_null=True),
        "previous": serializers.URLField(allow_null=True),
        "results": serializer_class(many=True),
        "Meta": meta,
    })


def tag_for_path(path: str) -> str:
    for prefix, tag in TAGS_BY_PREFIX:
        if path.startswith(prefix):
            return tag
    return PUBLIC_TAG  # the storefront catch-all /<custom_url>/… is mounted last


class TruthfulFieldInspector(FieldInspector):
    """Corrections to drf-yasg's field schemas, so a response never contradicts its own schema:
    a ``ChoiceField(allow_blank=True)`` accepts ``""`` (often its default), and a JSON field whose default
    is a list is an array, not an object."""

    def process_result(self, result, method_name, obj, **kwargs):
        if isinstance(result, openapi.SchemaRef) and isinstance(obj, serializers.BaseSerializer) and obj.allow_null:
            # A nested object that may be null (a product without a category): OpenAPI 2 ignores siblings of a
            # $ref, so the reference is wrapped to carry x-nullable.
            return openapi.Schema(type=openapi.TYPE_OBJECT, all_of=[result], x_nullable=True)
        if not isinstance(result, openapi.Schema):
            return result
        if (isinstance(obj, serializers.ChoiceField) and getattr(obj, "allow_blank", False)
                and result.get("enum") and "" not in result["enum"]):
            result["enum"] = ["", *result["enum"]]
        if result.get("minLength") == 1:
            # drf-yasg's "not blank" holds for input only: stored values (a blank description) may be "".
            del result["minLength"]
        if isinstance(obj, serializers.JSONField) and result.get("type") == openapi.TYPE_OBJECT:
            default = result.get("default")
            model = getattr(getattr(getattr(obj, "parent", None), "Meta", None), "model", None)
            if default is None and model is not None:
                try:
                    default = model._meta.get_field(obj.source).default
                except FieldDoesNotExist:  # a serializer-only field: nothing to learn from the model
                    default = None
                default = default() if default is list else default
            if isinstance(default, list):
                result["type"] = openapi.TYPE_ARRAY
                result["items"] = openapi.Schema(type=openapi.TYPE_STRING)
        return result


class ErrorAwareAutoSchema(SwaggerAutoSchema):
    field_inspectors = [TruthfulFieldInspector, *SwaggerAutoSchema.field_inspectors]

    def get_tags(self, operation_keys=None):
        return [tag_for_path(self.path)]

    def get_response_serializers(self):
        responses = super().get_response_serializers()
        for code, description in ERROR_RESPONSES.items():
            documented = responses.get(code)
            if isinstance(documented, str):  # a view's own wording for the error: keep it, add the shape
                description = documented
            elif isinstance(documented, openapi.Response) and documented.get("schema") is None:
                description = documented.description
            elif documented is not None:
                continue
            responses[code] = openapi.Response(description, ErrorSerializer)
        return responses
