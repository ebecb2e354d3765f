"""Pay on delivery (SPEC §10), the money side: when the supplier records the cash at the door.

``cod_record_cash`` runs in the orders transition hook (``payments.hooks``), inside the transaction that holds
the order's row lock and saves the delivery, so the order is paid and the ledger booked together or not at all.
The journal (``ledger.cod_collected_lines``) books the cash as held by the supplier, the entrepreneur's and
platform's shares, and nets the cash against the supplier's available balance; the supplier's share goes to
its pending balance and, like the entrepreneur's earnings, is released on the usual clock
(``earnings_release_order``). A supplier wallet may go negative this way; its withdrawals wait
(``withdrawal_create``) until later sales' shares bring it back above zero.
"""
from orders.models import Order

from .. import ledger
from ..models import Earnings, JournalEntry
from .wallets import supplier_wallet_post

EntryType = JournalEntry.EntryType


def cod_record_cash(*, order: Order) -> JournalEntry | None:
    """Book a COD order's collected cash once (idempotent on ``payment:<order_id>``, the key of every sale):
    the cod_collected journal, the pending Earnings rows (markup, commission) and the wallets' figures."""
    order = Order.objects.select_related("entrepreneur", "supplier").get(pk=order.pk)
    if not order.is_cod or order.cash_collected is None:
        raise ValueError(f"order {order.order_id} has no cash collected on delivery to book")
    split = ledger.order_split(order)
    journal = supplier_wallet_post(
        supplier_user_id=order.supplier.user_id, entry_type=EntryType.COD_COLLECTED,
        idempotency_key=ledger.payment_key(order), lines=ledger.cod_collected_lines(order, split), order=order,
        description=f"Cash ₦{order.cash_collected} collected on delivery of {order.order_id}, held by the supplier",
    )
    if journal is None:
        return None
    Earnings.objects.bulk_create([
        Earnings(entrepreneur=order.entrepreneur, order=order, earning_type=Earnings.EarningType.MARKUP,
                 amount=order.markup_amount, status=Earnings.Status.PENDING),
        Earnings(entrepreneur=order.entrepreneur, order=order, earning_type=Earnings.EarningType.COMMISSION,
                 amount=order.commission_amount, status=Earnings.Status.PENDING),
    ])
    return journal
