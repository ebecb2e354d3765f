"""Thin order endpoints: validate → call one service → serialize."""
from drf_yasg import openapi
from drf_yasg.utils import swagger_auto_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import NotFound, PermissionDenied
from core.openapi import paginated
from core.permissions import has_role, is_admin
from core.throttling import OneRoundTripThrottlesMixin, client_address
from core.validators import parse_id

from . import selectors
from .serializers import (
    CheckoutCreateSerializer,
    CheckoutSerializer,
    CodCodeSentSerializer,
    CodSendCodeSerializer,
    CustomerOrderSerializer,
    OrderCreateSerializer,
    OrderListFilterSerializer,
    OrderListSerializer,
    OrderSerializer,
    OrderStatusUpdateResponseSerializer,
    OrderStatusUpdateSerializer,
    SupplierOrderListSerializer,
    checkout_serializer_for,
    order_list_serializer_for,
    order_serializer_for,
)
from .services import checkout_create, cod_code_send, order_create, order_transition
from .throttles import OrderPlacementThrottle

_AUDIENCES = ("The shape depends on who asks (SPEC §5): customers get `CustomerOrder` (no supplier, base "
              "prices, markup or commission), suppliers `SupplierOrder` (no markup or commission), "
              "entrepreneurs `EntrepreneurOrder`, admins `Order`.")
# OpenAPI 2 has one schema per status code: list/detail show the customer's shape; the entrepreneur's and the
# supplier's are the responses of `entrepreneur_orders` and `supplier_orders`, the admin's that of update_status.
_ORDER_RESPONSES = {200: openapi.Response(_AUDIENCES, CustomerOrderSerializer)}
_LIST_NOTE = " Lists leave out each order's `items` and `status_history`: read them on the detail route."

def _cart_arguments(request, serializer_class) -> dict:
    """The validated cart body as the keyword arguments of ``order_create`` / ``checkout_create`` (the same
    shape: the checkout body only adds ``payment_method``)."""
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    arguments = {
        "customer": request.user,
        "entrepreneur_custom_url": data["entrepreneur_custom_url"],
        "items": data["items"],
        "shipping_address": dict(data["shipping_address"]),
        "notes": data.get("notes", ""),
        "source_channel": data.get("source_channel", ""),
    }
    if "payment_method" in serializer.fields:
        arguments["payment_method"] = data.get("payment_method", "")
    if "cod_code" in serializer.fields:
        arguments["cod_code"] = data.get("cod_code", "")
    return arguments


_LIST_PARAMS = [
    openapi.Parameter("status", openapi.IN_QUERY, type=openapi.TYPE_STRING, description="Filter by order status"),
    openapi.Parameter("date_from", openapi.IN_QUERY, type=openapi.TYPE_STRING, format=openapi.FORMAT_DATE,
                      description="Created on or after (YYYY-MM-DD, Lagos time)"),
    openapi.Parameter("date_to", openapi.IN_QUERY, type=openapi.TYPE_STRING, format=openapi.FORMAT_DATE,
                      description="Created on or before (YYYY-MM-DD, Lagos time)"),
]


class OrderViewSet(OneRoundTripThrottlesMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Orders, scoped to the requesting user: customers see their own, entrepreneurs their store's,
    suppliers those of their products, admins all. Anyone else's order is a 404."""

    serializer_class = OrderSerializer
    filter_backends: list = []  # filters are explicit (OrderListFilterSerializer), not the global backends

    def get_throttles(self):
        throttles = super().get_throttles()
        if self.action == "create":
            throttles.append(OrderPlacementThrottle())
        return throttles

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return selectors.order_queryset().none()
        return selectors.orders_visible_to(self.request.user)

    def _filtered(self, qs):
        params = OrderListFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        return selectors.orders_filter(qs, **params.validated_data)

    def _out(self, order_or_page, **kwargs):
        return order_serializer_for(self.request.user)(order_or_page, **kwargs).data

    def _paginated(self, qs):
        # Lists leave items and history to the detail route: no prefetch, one query for the page, joining only
        # what the audience's list shows.
        serializer = order_list_serializer_for(self.request.user)
        qs = qs.prefetch_related(None).select_related(None).select_related(*serializer.related)
        page = self.paginate_queryset(self._filtered(qs))
        return self.get_paginated_response(serializer(page, many=True).data)

    def _order_for_user(self, pk):
        order = (selectors.order_get_for_user(user=self.request.user, pk=parse_id(pk))
                 if parse_id(pk) is not None else None)
        if order is None:
            raise NotFound("Order not found.")
        return order

    @swagger_auto_schema(manual_parameters=_LIST_PARAMS, operation_description=_AUDIENCES + _LIST_NOTE)
    def list(self, request, *args, **kwargs):
        return self._paginated(self.get_queryset())

    @swagger_auto_schema(responses=_ORDER_RESPONSES, operation_description=_AUDIENCES)
    def retrieve(self, request, *args, **kwargs):
        return Response(self._out(self._order_for_user(kwargs["pk"])))

    @swagger_auto_schema(request_body=OrderCreateSerializer, responses={201: CustomerOrderSerializer})
    def create(self, request, *args, **kwargs):
        """Place an order (customers only) from items of one supplier. Prices come from the store; stock is
        reserved for ORDER_RESERVATION_MINUTES until payment. A cart mixing suppliers is a 400 that groups
        the items by parcel: check it out at `/api/orders/checkouts/`. One customer holds at most
        ORDER_MAX_UNPAID_ORDERS (3) unpaid orders, ORDER_MAX_UNPAID_UNITS_PER_PRODUCT (20) units of one
        product and ORDER_MAX_UNPAID_UNITS (100) units in them (else 409 `reservation_limit`); placing
        orders is throttled per user (THROTTLE_ORDERS, 429)."""
        # The created order comes back with its items and history attached: no re-read for the response.
        order = order_create(**_cart_arguments(request, OrderCreateSerializer))
        return Response(self._out(order), status=status.HTTP_201_CREATED)

    @swagger_auto_schema(request_body=OrderStatusUpdateSerializer, responses={200: OrderStatusUpdateResponseSerializer})
    @action(detail=True, methods=["post"])
    def update_status(self, request, pk=None):
        """Move an order along the status machine. Customer: cancel own pending order. Supplier:
        paid→processing→shipped (tracking_number required)→delivered. Admin: any legal move.
        `paid` is set only by a confirmed payment. Pay on delivery: the supplier moves pending→processing→shipped→
        delivered with `cash_collected` = the exact total (the order becomes paid), or shipped→returned when the
        shopper refuses the parcel at the door."""
        order = self._order_for_user(pk)
        serializer = OrderStatusUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        order_transition(order_id=order.pk, to_status=data["status"], actor=request.user, notes=data["notes"],
                         tracking_number=data["tracking_number"], cash_collected=data["cash_collected"])
        order = selectors.order_queryset().get(pk=order.pk)
        return Response({"message": f"Order status updated to {order.status}", "order": self._out(order)})

    @swagger_auto_schema(manual_parameters=_LIST_PARAMS, responses={200: paginated(OrderListSerializer)})
    @action(detail=False, methods=["get"])
    def entrepreneur_orders(self, request):
        """Orders placed in the authenticated entrepreneur's store."""
        if not has_role(request.user, "entrepreneur"):
            raise PermissionDenied("Only entrepreneur accounts can list their store's orders.")
        return self._paginated(selectors.orders_for_entrepreneur(request.user))

    @swagger_auto_schema(manual_parameters=_LIST_PARAMS, responses={200: paginated(SupplierOrderListSerializer)})
    @action(detail=False, methods=["get"])
    def supplier_orders(self, request):
        """Orders of the authenticated supplier's products, as the supplier sees them (base prices, no markup
        or commission). Also served at `/api/suppliers/profiles/my_orders/` (SPEC §4 names both)."""
        if not has_role(request.user, "supplier"):
            raise PermissionDenied("Only supplier accounts can list their orders.")
        return self._paginated(selectors.orders_for_supplier(request.user))


class CheckoutViewSet(OneRoundTripThrottlesMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Checkouts (SPEC §5.1): one cart of one store, split into one order per supplier, paid at once.
    Customers see their own, admins all; other roles are refused."""

    serializer_class = CheckoutSerializer
    filter_backends: list = []

    def get_throttles(self):
        throttles = super().get_throttles()
        if self.action == "create":
            throttles.append(OrderPlacementThrottle())  # one scope with POST /orders/ (orders.throttles)
        return throttles

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return selectors.checkout_queryset().none()
        self._check_role()
        return selectors.checkouts_visible_to(self.request.user)

    def _check_role(self):
        if not (is_admin(self.request.user) or has_role(self.request.user, "customer")):
            raise PermissionDenied("Only customers (and admins) have checkouts.")

    def _out(self, obj, **kwargs):
        return checkout_serializer_for(self.request.user)(obj, **kwargs).data

    @swagger_auto_schema(responses={200: paginated(CheckoutSerializer)},
                         operation_description="Customers: their own checkouts; admins: all (`AdminCheckout`).")
    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self._out(page, many=True))

    @swagger_auto_schema(responses={200: CheckoutSerializer},
                         operation_description="Customers get `Checkout`; admins `AdminCheckout` (orders in full).")
    def retrieve(self, request, *args, **kwargs):
        pk = kwargs["pk"]
        found = (selectors.checkout_get_for_user(user=request.user, pk=parse_id(pk))
                 if parse_id(pk) is not None else None)
        self._check_role()
        if found is None:
            raise NotFound("Checkout not found.")
        return Response(self._out(found))

    @swagger_auto_schema(request_body=CheckoutCreateSerializer, responses={201: CheckoutSerializer})
    def create(self, request, *args, **kwargs):
        """Check a cart out (customers only): one order per supplier, each with its own shipping fee, all
        priced and reserved in one transaction. A line short of stock (409) or refused (400) names the line,
        and nothing is created. Pay it with `POST /api/payments/initialize/` and `checkout_id`."""
        # The checkout comes back with its orders, their items and history attached: no re-read for the response.
        checkout = checkout_create(**_cart_arguments(request, CheckoutCreateSerializer))
        return Response(self._out(checkout), status=status.HTTP_201_CREATED)


class CodSendCodeView(APIView):
    """``POST /api/orders/cod/send-code/`` ``{phone}`` → 202: a 6-digit code by SMS (the console where Twilio is
    not configured), valid 10 minutes for 5 tries; the order or checkout then carries it as `cod_code`.
    Anonymous; at most COD_SENDS_PER_PHONE (3) per phone and COD_SENDS_PER_ADDRESS (10) per client address an
    hour (429)."""

    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []

    @swagger_auto_schema(request_body=CodSendCodeSerializer, responses={202: CodCodeSentSerializer, 400: "Not a Nigerian phone",
                                                                        429: "Too many codes"})
    def post(self, request):
        serializer = CodSendCodeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        row = cod_code_send(phone=serializer.validated_data["phone"],
                            client_address=client_address(request))
        return Response({"message": "Code sent.", "phone": f"…{row.phone[-4:]}",
                         "expires_at": row.expires_at}, status=status.HTTP_202_ACCEPTED)
