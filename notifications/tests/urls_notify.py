"""A test-only endpoint that changes an order and notifies, like the orders API does, mounted before the real URLs."""
from django.db import transaction
from django.urls import path
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from core.notifications import notify
from orders.models import Order, OrderStatus
from payjaro_project.urls import urlpatterns as project_urlpatterns


@api_view(["POST"])
@authentication_classes([])
@permission_classes([AllowAny])
def ship_order(request, pk):
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=pk)
        order.status = OrderStatus.SHIPPED
        order.tracking_number = request.data.get("tracking_number", "")
        order.save(update_fields=["status", "tracking_number", "updated_at"])
        notify("order_shipped", order_id=order.pk)
    return Response({"status": order.status})


urlpatterns = [path("test-only/ship/<int:pk>/", ship_order), *project_urlpatterns]
