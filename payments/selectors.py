"""Reads, always scoped to the requesting user, with their joins planned."""
from django.db.models import Count, Q, Sum

from core.money import ZERO, quantize
from core.permissions import is_admin
from entrepreneurs.models import EntrepreneurProfile

from .models import Earnings, PaymentMethod, Wallet, WithdrawalRequest


def payment_methods_for_user(user):
    return PaymentMethod.objects.filter(user=user, is_active=True)


def wallet_for_user(user) -> Wallet:
    """The user's wallet, or an unsaved empty one (a GET never writes)."""
    return Wallet.objects.filter(user=user).first() or Wallet(user=user)


def earnings_for_user(user):
    return Earnings.objects.filter(entrepreneur__user=user).select_related("order")


def withdrawals_for_user(user):
    qs = WithdrawalRequest.objects.select_related("payment_method", "entrepreneur")
    if is_admin(user):
        return qs
    return qs.filter(user=user)


def earnings_summary(user) -> dict:
    """The guide's summary keys in three queries (profile, wallet, one aggregate over earnings)."""
    profile = EntrepreneurProfile.objects.filter(user=user).only("id", "total_sales", "performance_tier").first()
    wallet = wallet_for_user(user)
    totals = {"total_markup": None, "total_commission": None, "pending_earnings": None}
    if profile is not None:
        totals = Earnings.objects.filter(entrepreneur=profile).aggregate(
            total_markup=Sum("amount", filter=Q(earning_type=Earnings.EarningType.MARKUP, status=Earnings.Status.PAID)),
            total_commission=Sum("amount", filter=Q(earning_type=Earnings.EarningType.COMMISSION,
                                                    status=Earnings.Status.PAID)),
            pending_earnings=Sum("amount", filter=Q(status=Earnings.Status.PENDING, order__payment_status="paid")),
            count=Count("id"),
        )
    return {
        "available_balance": quantize(wallet.balance),
        "pending_balance": quantize(wallet.pending_balance),
        "total_earned": quantize(wallet.total_earned),
        "total_withdrawn": quantize(wallet.total_withdrawn),
        "total_markup": quantize(totals["total_markup"] or ZERO),
        "total_commission": quantize(totals["total_commission"] or ZERO),
        "pending_earnings": quantize(totals["pending_earnings"] or ZERO),
        "total_sales": quantize(profile.total_sales) if profile else ZERO,
        "performance_tier": profile.performance_tier if profile else EntrepreneurProfile.PerformanceTier.BRONZE,
        "currency": wallet.currency,
    }
