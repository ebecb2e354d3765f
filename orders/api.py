"""Thin order endpoints: validate → call one service → serialize."""
from drf_yasg import openapi
from drf_yasg.utils import swagger_auto_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.errors import NotFound, PermissionDenied
from core.permissions import has_role

from . import selectors
from .serializers import (
    OrderCreateSerializer,
    OrderListFilterSerializer,
    OrderSerializer,
    OrderStatusUpdateResponseSerializer,
    OrderStatusUpdateSerializer,
    SupplierOrderSerializer,
)
from .services import order_create, order_transition
from .throttles import OrderPlacementThrottle

_LIST_PARAMS = [
    openapi.Parameter("status", openapi.IN_QUERY, type=openapi.TYPE_STRING, description="Filter by order status"),
    openapi.Parameter("date_from", openapi.IN_QUERY, type=openapi.TYPE_STRING, format=openapi.FORMAT_DATE,
                      description="Created on or after (YYYY-MM-DD, Lagos time)"),
    openapi.Parameter("date_to", openapi.IN_QUERY, type=openapi.TYPE_STRING, format=openapi.FORMAT_DATE,
                      description="Created on or before (YYYY-MM-DD, Lagos time)"),
]


class OrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
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

    def _paginated(self, qs, serializer_class=OrderSerializer):
        page = self.paginate_queryset(self._filtered(qs))
        return self.get_paginated_response(serializer_class(page, many=True).data)

    def _order_for_user(self, pk):
        order = selectors.order_get_for_user(user=self.request.user, pk=pk) if str(pk).isdigit() else None
        if order is None:
            raise NotFound("Order not found.")
        return order

    @swagger_auto_schema(manual_parameters=_LIST_PARAMS)
    def list(self, request, *args, **kwargs):
        return self._paginated(self.get_queryset())

    def retrieve(self, request, *args, **kwargs):
        return Response(OrderSerializer(self._order_for_user(kwargs["pk"])).data)

    @swagger_auto_schema(request_body=OrderCreateSerializer, responses={201: OrderSerializer})
    def create(self, request, *args, **kwargs):
        """Place an order (customers only). Prices come from the store; stock is reserved for
        ORDER_RESERVATION_MINUTES until payment. One customer holds at most ORDER_MAX_UNPAID_ORDERS (3)
        unpaid orders, ORDER_MAX_UNPAID_UNITS_PER_PRODUCT (20) units of one product and
        ORDER_MAX_UNPAID_UNITS (100) units in them (else 409 `reservation_limit`); placing orders is
        throttled per user (THROTTLE_ORDERS, 429)."""
        serializer = OrderCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        order = order_create(
            customer=request.user,
            entrepreneur_custom_url=data["entrepreneur_custom_url"],
            items=data["items"],
            shipping_address=dict(data["shipping_address"]),
            notes=data.get("notes", ""),
            source_channel=data.get("source_channel", ""),
        )
        order = selectors.order_queryset().get(pk=order.pk)
        return Response(OrderSerializer(order).data, status=status.HTTP_201_CREATED)

    @swagger_auto_schema(request_body=OrderStatusUpdateSerializer, responses={200: OrderStatusUpdateResponseSerializer})
    @action(detail=True, methods=["post"])
    def update_status(self, request, pk=None):
        """Move an order along the status machine. Customer: cancel own pending order. Supplier:
        paid→processing→shipped (tracking_number required)→delivered. Admin: any legal move.
        `paid` is set only by a confirmed payment."""
        order = self._order_for_user(pk)
        serializer = OrderStatusUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        order_transition(order_id=order.pk, to_status=data["status"], actor=request.user, notes=data["notes"],
                         tracking_number=data["tracking_number"])
        order = selectors.order_queryset().get(pk=order.pk)
        return Response({"message": f"Order status updated to {order.status}", "order": OrderSerializer(order).data})

    @swagger_auto_schema(manual_parameters=_LIST_PARAMS, responses={200: OrderSerializer(many=True)})
    @action(detail=False, methods=["get"])
    def entrepreneur_orders(self, request):
        """Orders placed in the authenticated entrepreneur's store."""
        if not has_role(request.user, "entrepreneur"):
            raise PermissionDenied("Only entrepreneur accounts can list their store's orders.")
        return self._paginated(selectors.orders_for_entrepreneur(request.user))

    @swagger_auto_schema(manual_parameters=_LIST_PARAMS, responses={200: SupplierOrderSerializer(many=True)})
    @action(detail=False, methods=["get"])
    def supplier_orders(self, request):
        """Orders of the authenticated supplier's products, as the supplier sees them (base prices, no markup
        or commission). Also served at `/api/suppliers/profiles/my_orders/` (SPEC §4 names both)."""
        if not has_role(request.user, "supplier"):
            raise PermissionDenied("Only supplier accounts can list their orders.")
        return self._paginated(selectors.orders_for_supplier(request.user), SupplierOrderSerializer)
