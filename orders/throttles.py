"""Throttle for placing orders: every placement reserves stock, so it is counted per user."""
from core.throttling import UserRateThrottle


class OrderPlacementThrottle(UserRateThrottle):
    """``THROTTLE_ORDERS`` (default 30/hour) per user, for ``POST /api/orders/orders/`` and checkouts.

    One scope for both, so switching between them buys no extra placements. Added to the view's
    default throttles on the create action only; reads are not counted.
    """

    scope = "orders"
