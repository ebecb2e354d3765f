"""The sandbox checkout page (development only): a plain HTML page with Pay and Fail buttons that
drives the same ``payment_confirm`` service as a real gateway webhook."""
from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from core.errors import ApplicationError

from . import services
from .models import Provider, Transaction


@csrf_exempt  # the unguessable reference is the capability; this page exists only with PAYMENTS_SANDBOX
@require_http_methods(["GET", "POST"])
def sandbox_checkout(request, reference: str):
    if not settings.PAYMENTS_SANDBOX:
        raise Http404("Sandbox payments are disabled.")
    txn = (Transaction.objects.select_related("order", "order__entrepreneur", "checkout", "checkout__entrepreneur")
           .filter(transaction_id=reference, provider=Provider.SANDBOX, transaction_type="payment").first())
    if txn is None:
        raise Http404("Unknown payment reference.")
    error = ""
    status_code = 200
    if request.method == "POST":
        try:
            txn = services.sandbox_checkout_complete(reference=reference, outcome=request.POST.get("outcome", ""))
        except ApplicationError as exc:
            error, status_code = exc.message, exc.status_code
        txn = Transaction.objects.select_related("order", "order__entrepreneur", "checkout",
                                                 "checkout__entrepreneur").get(pk=txn.pk)
    return render(request, "payments/sandbox_checkout.html", {
        "txn": txn, "order": txn.order, "checkout": txn.checkout, "error": error,
        "callback_url": txn.metadata.get("callback_url", ""),
    }, status=status_code)
