"""The DRF exception handler maps every error to ``{"error": str, "details"?: dict}`` (SPEC §4)."""
import pytest
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from core import errors
from core.exceptions import api_exception_handler

factory = APIRequestFactory()


def view_raising(exc):
    class RaisingView(APIView):
        # default authentication classes (JWT first), so a 401 keeps its WWW-Authenticate header
        permission_classes = [AllowAny]
        throttle_classes: list = []

        def get(self, request):
            raise exc

    return RaisingView.as_view()


def call(exc):
    response = view_raising(exc)(factory.get("/x/"))
    response.render()
    return response


def assert_shape(response):
    body = response.data
    assert isinstance(body, dict)
    assert set(body) <= {"error", "code", "details"}
    assert isinstance(body["error"], str) and body["error"]
    if "details" in body:
        assert isinstance(body["details"], dict)
    return body


@pytest.mark.parametrize(
    "error_class,status",
    [
        (errors.ApplicationError, 400),
        (errors.ValidationFailed, 400),
        (errors.NotAuthenticated, 401),
        (errors.PermissionDenied, 403),
        (errors.NotFound, 404),
        (errors.Conflict, 409),
        (errors.InvalidTransition, 409),
        (errors.InsufficientStock, 409),
        (errors.PriceChanged, 409),
        (errors.PayloadTooLarge, 413),
        (errors.GatewayError, 502),
        (errors.GatewayUnavailable, 503),
    ],
)
def test_application_errors_map_to_status_and_shape(error_class, status):
    response = call(error_class())
    assert response.status_code == status
    assert response.data == {"error": error_class.default_message, "code": error_class.code}


def test_application_error_message_and_details():
    exc = errors.InsufficientStock("Only 2 left of Ankara Dress.", details={"product_id": 7, "available": 2})
    response = call(exc)
    assert response.status_code == 409
    assert response.data == {"code": "insufficient_stock",
                             "error": "Only 2 left of Ankara Dress.", "details": {"product_id": 7, "available": 2}}


def test_application_error_code_override():
    exc = errors.Conflict("Already paid.", code="already_paid")
    assert exc.code == "already_paid"
    assert errors.Conflict().code == "conflict"
    assert issubclass(errors.PriceChanged, errors.Conflict)
    assert issubclass(errors.GatewayUnavailable, errors.GatewayError)


def test_drf_validation_error_dict_is_400_with_details():
    response = call(exceptions.ValidationError({"quantity": ["Ensure this value is greater than or equal to 1."]}))
    assert response.status_code == 400
    assert response.data == {
        "code": "validation_failed", "error": "quantity: Ensure this value is greater than or equal to 1.",
        "details": {"quantity": ["Ensure this value is greater than or equal to 1."]},
    }


def test_drf_validation_error_list_goes_to_non_field_errors():
    response = call(exceptions.ValidationError(["Mixed cart."]))
    assert response.status_code == 400
    assert response.data == {"code": "validation_failed",
                             "error": "Mixed cart.", "details": {"non_field_errors": ["Mixed cart."]}}


def test_drf_validation_error_nested():
    detail = {"items": [{"quantity": ["Too many."]}], "shipping_address": {"city": ["Required."]}}
    response = call(exceptions.ValidationError(detail))
    assert response.status_code == 400
    body = assert_shape(response)
    assert body["error"] == "items: quantity: Too many."
    assert body["details"]["shipping_address"] == {"city": ["Required."]}


def test_serializer_errors_through_a_view():
    class S(serializers.Serializer):
        amount = serializers.DecimalField(max_digits=10, decimal_places=2)

    class V(APIView):
        permission_classes = [AllowAny]
        authentication_classes: list = []
        throttle_classes: list = []

        def post(self, request):
            S(data=request.data).is_valid(raise_exception=True)
            return Response({})

    response = V.as_view()(factory.post("/x/", {"amount": "abc"}, format="json"))
    assert response.status_code == 400
    assert response.data["error"] == "amount: A valid number is required."
    assert response.data["details"] == {"amount": ["A valid number is required."]}


def test_django_validation_error_is_400():
    response = call(DjangoValidationError({"custom_url": ["This name is reserved."]}))
    assert response.status_code == 400
    assert response.data == {"code": "validation_failed", "error": "custom_url: This name is reserved.",
                             "details": {"custom_url": ["This name is reserved."]}}

    response = call(DjangoValidationError("Bad thing."))
    assert response.status_code == 400
    assert response.data == {"code": "validation_failed", "error": "Bad thing.", "details": {"non_field_errors": ["Bad thing."]}}


def test_http404_and_drf_not_found_are_404():
    for exc in (Http404("no such order"), exceptions.NotFound()):
        response = call(exc)
        assert response.status_code == 404
        assert response.data == {"code": "not_found", "error": "Not found."}


def test_permission_denied_is_403():
    for exc in (DjangoPermissionDenied(), exceptions.PermissionDenied()):
        response = call(exc)
        assert response.status_code == 403
        assert assert_shape(response) == {"code": "permission_denied",
                                          "error": "You do not have permission to perform this action."}


def test_not_authenticated_is_401_with_www_authenticate():
    response = call(exceptions.NotAuthenticated())
    assert response.status_code == 401
    assert response.data == {"code": "not_authenticated", "error": "Authentication credentials were not provided."}
    assert response["WWW-Authenticate"]


def test_method_not_allowed_and_parse_error():
    response = call(exceptions.MethodNotAllowed("DELETE"))
    assert response.status_code == 405
    assert response.data == {"code": "method_not_allowed", "error": 'Method "DELETE" not allowed.'}
    response = call(exceptions.ParseError())
    assert response.status_code == 400
    assert_shape(response)


def test_unsupported_media_type_is_415_in_shape():
    response = call(exceptions.UnsupportedMediaType("text/csv"))
    assert response.status_code == 415
    assert_shape(response)


@pytest.mark.parametrize("wait,retry_after", [(30, "30"), (12.2, "13"), (0.5, "1")])
def test_throttled_is_429_with_retry_after(wait, retry_after):
    response = call(exceptions.Throttled(wait=wait))
    assert response.status_code == 429
    assert response["Retry-After"] == retry_after
    body = assert_shape(response)
    assert body["details"] == {"retry_after": retry_after}
    assert "throttled" in body["error"].lower()


def test_throttled_without_wait():
    response = call(exceptions.Throttled())
    assert response.status_code == 429
    assert response.data == {"code": "throttled", "error": "Request was throttled."}


def test_real_throttle_through_a_view():
    class OnePerMinute(SimpleRateThrottle):
        rate = "1/min"
        scope = "test-one"

        def get_cache_key(self, request, view):
            return "throttle-test-one"

    class V(APIView):
        permission_classes = [AllowAny]
        authentication_classes: list = []
        throttle_classes = [OnePerMinute]

        def get(self, request):
            return Response({"ok": True})

    view = V.as_view()
    assert view(factory.get("/x/")).status_code == 200
    response = view(factory.get("/x/"))
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    assert response.data["details"]["retry_after"] == response["Retry-After"]


def test_unexpected_error_is_not_swallowed():
    # The handler returns None for unknown exceptions: DRF re-raises, Django answers 500 and logs it.
    assert api_exception_handler(RuntimeError("bug"), {}) is None


@pytest.mark.parametrize(
    "exc,code",
    [
        (exceptions.ValidationError({"a": ["b"]}), "validation_failed"),
        (exceptions.ParseError(), "parse_error"),
        (exceptions.AuthenticationFailed(), "authentication_failed"),
        (exceptions.NotAuthenticated(), "not_authenticated"),
        (exceptions.PermissionDenied(), "permission_denied"),
        (exceptions.NotFound(), "not_found"),
        (Http404(), "not_found"),
        (DjangoPermissionDenied(), "permission_denied"),
        (DjangoValidationError("x"), "validation_failed"),
        (exceptions.MethodNotAllowed("DELETE"), "method_not_allowed"),
        (exceptions.UnsupportedMediaType("text/csv"), "unsupported_media_type"),
        (exceptions.Throttled(wait=3), "throttled"),
        (errors.Conflict("Already paid.", code="already_paid"), "already_paid"),
    ],
)
def test_every_error_carries_a_machine_code(exc, code):
    assert call(exc).data["code"] == code


def test_simplejwt_invalid_token_is_authentication_failed():
    from rest_framework_simplejwt.exceptions import InvalidToken

    assert call(InvalidToken()).data["code"] == "authentication_failed"
