"""The business's calendar: Payjaro trades in Nigeria, so "today" and "a day" are Africa/Lagos days
(order and checkout ids, daily metrics, date filters, analytics windows)."""
from zoneinfo import ZoneInfo

LAGOS = ZoneInfo("Africa/Lagos")
