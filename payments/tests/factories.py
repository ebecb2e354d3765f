"""Payments test helpers: real orders (through ``orders.services.order_create``), funded wallets that
agree with the ledger, and the gateways' documented request/response shapes for ``responses``."""
import base64
import hashlib
import hmac
import json
from decimal import Decimal

import factory
from django.conf import settings
from django.db import transaction

from core.money import to_kobo
from payments.ledger import Line, ledger_post
from payments.models import JournalEntry, LedgerAccount, PaymentMethod, Wallet
from tests.factories import CustomerFactory, EntrepreneurFactory, ProductFactory, StorefrontFactory, StoreProductFactory

PAYSTACK = "https://api.paystack.co"
FLUTTERWAVE = "https://api.flutterwave.com/v3"

ADDRESS = {"full_name": "Chinedu Okafor", "phone": "08031234567", "address": "14 Allen Avenue, Ikeja",
           "city": "Ikeja", "state": "Lagos"}


class BankMethodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PaymentMethod

    user = factory.SubFactory("tests.factories.EntrepreneurUserFactory")
    method_type = PaymentMethod.MethodType.BANK_TRANSFER
    details = factory.LazyFunction(lambda: {"account_number": "0123456789", "bank_code": "058",
                                            "account_name": "Ada Obi Ventures", "bank_name": "GTBank"})
    is_default = False


def place_order(*, customer=None, entrepreneur=None, quantity=2, base_price=Decimal("1000.00"),
                selling_price=Decimal("1200.00")):
    """A pending order. With the defaults (qty 2, base ₦1,000, price ₦1,200, 5 % commission, 10 % supplier
    commission, ₦500 shipping): subtotal 2000, markup 400, commission 120, total 2900;
    split: entrepreneur 520, supplier 1800, platform 580."""
    from orders.services import OrderLine, order_create

    customer = customer or CustomerFactory()
    entrepreneur = entrepreneur or EntrepreneurFactory()
    storefront = getattr(entrepreneur, "storefront", None) or StorefrontFactory(entrepreneur=entrepreneur)
    product = ProductFactory(base_price=base_price, stock_quantity=100)
    StoreProductFactory(storefront=storefront, product=product, selling_price=selling_price)
    return order_create(customer=customer, entrepreneur_custom_url=entrepreneur.custom_url,
                        items=[OrderLine(product_id=product.pk, quantity=quantity)], shipping_address=ADDRESS)


def fund_wallet(user, amount: Decimal) -> Wallet:
    """Give ``user`` an available balance the ledger agrees with (a release journal against clearing); a
    supplier user's wallet is a supplier wallet, funded on its supplier_available account."""
    supplier = user.user_type == "supplier"
    kind = Wallet.Kind.SUPPLIER if supplier else Wallet.Kind.ENTREPRENEUR
    account = LedgerAccount.SUPPLIER_AVAILABLE if supplier else LedgerAccount.ENTREPRENEUR_AVAILABLE
    with transaction.atomic():
        wallet, _ = Wallet.objects.get_or_create(user=user, defaults={"kind": kind})
        ledger_post(entry_type=JournalEntry.EntryType.SUPPLIER_RELEASE if supplier else JournalEntry.EntryType.RELEASE,
                    idempotency_key=f"test-funding:{user.pk}:{Wallet.objects.get(pk=wallet.pk).total_earned}",
                    lines=[Line(LedgerAccount.GATEWAY_CLEARING, -amount), Line(account, amount, user.pk)])
        Wallet.objects.filter(pk=wallet.pk).update(balance=wallet.balance + amount,
                                                   total_earned=wallet.total_earned + amount)
    return Wallet.objects.get(pk=wallet.pk)


# --- Paystack ---

def paystack_sign(body: bytes) -> str:
    return hmac.new(settings.PAYSTACK_SECRET_KEY.encode(), body, hashlib.sha512).hexdigest()


def paystack_event(event: str, data: dict) -> bytes:
    return json.dumps({"event": event, "data": data}).encode()


def paystack_verify_body(reference: str, amount: Decimal, *, status="success", currency="NGN", txn_id=4099260516):
    """GET /transaction/verify/:reference — documented shape (trimmed)."""
    return {
        "status": True, "message": "Verification successful",
        "data": {"id": txn_id, "domain": "test", "status": status, "reference": reference,
                 "amount": to_kobo(amount), "gateway_response": "Successful" if status == "success" else "Declined",
                 "paid_at": "2026-11-26T10:00:00.000Z", "channel": "card", "currency": currency,
                 "customer": {"email": "customer@example.com"}},
    }


def paystack_charge_success(reference: str, amount: Decimal, txn_id=4099260516) -> bytes:
    return paystack_event("charge.success", {"id": txn_id, "reference": reference, "amount": to_kobo(amount),
                                             "currency": "NGN", "status": "success"})


def paystack_transfer_event(event: str, reference: str, amount: Decimal, transfer_code="TRF_1ptvuv321ahaa7q"):
    status = {"transfer.success": "success", "transfer.failed": "failed", "transfer.reversed": "reversed"}[event]
    return paystack_event(event, {"id": 37272792, "amount": to_kobo(amount), "currency": "NGN", "reference": reference,
                                  "status": status, "transfer_code": transfer_code, "reason": "Payjaro payout"})


def sent_an_hour_ago(refund) -> None:
    """The refund's last gateway call was sent an hour ago (over: a run may send it again)."""
    from datetime import timedelta

    from django.utils import timezone

    from payments.models import Transaction

    refund.refresh_from_db()
    sent = (timezone.now() - timedelta(hours=1)).isoformat()
    Transaction.objects.filter(pk=refund.pk).update(metadata={**refund.metadata, "sent_at": sent})


def mock_payout(rsps, *, account_name="ADA OBI VENTURES", transfer_status="pending"):
    rsps.get(f"{PAYSTACK}/bank/resolve", json={"status": True, "message": "Account number resolved",
                                                "data": {"account_number": "0123456789", "account_name": account_name,
                                                         "bank_id": 9}})
    rsps.post(f"{PAYSTACK}/transferrecipient", json={
        "status": True, "message": "Transfer recipient created successfully",
        "data": {"active": True, "currency": "NGN", "name": account_name, "recipient_code": "RCP_t0ya41mp35flk40",
                 "type": "nuban", "details": {"account_number": "0123456789", "bank_code": "058"}}})
    rsps.post(f"{PAYSTACK}/transfer", json={
        "status": True, "message": "Transfer has been queued",
        "data": {"reference": "set-by-test", "integration": 428626, "domain": "test", "amount": 0, "currency": "NGN",
                 "source": "balance", "reason": "Payjaro payout", "recipient": 6788170, "status": transfer_status,
                 "transfer_code": "TRF_1ptvuv321ahaa7q", "id": 37272792}})


# --- Flutterwave ---

def flutterwave_verify_body(reference: str, amount: Decimal, *, status="successful", currency="NGN", txn_id=288200108):
    """GET /transactions/verify_by_reference?tx_ref= — documented shape (trimmed); amount in naira."""
    return {"status": "success", "message": "Transaction fetched successfully",
            "data": {"id": txn_id, "tx_ref": reference, "flw_ref": "FLW-MOCK-abc", "amount": float(amount),
                     "currency": currency, "charged_amount": float(amount), "status": status,
                     "payment_type": "card", "created_at": "2026-11-26T10:00:00.000Z"}}


def flutterwave_event(reference: str, amount: Decimal, txn_id=288200108) -> bytes:
    return json.dumps({"event": "charge.completed", "data": {"id": txn_id, "tx_ref": reference, "amount": float(amount),
                                                             "currency": "NGN", "status": "successful"}}).encode()


def flutterwave_signature(body: bytes) -> str:
    return base64.b64encode(hmac.new(settings.FLUTTERWAVE_SECRET_HASH.encode(), body, hashlib.sha256).digest()).decode()
