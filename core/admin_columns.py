"""Short Django admin list columns, so a changelist's status and amount stay on a 1366 px laptop screen."""
from django.contrib import admin
from django.utils.dateformat import format as date_format
from django.utils.timezone import localtime


@admin.display(description="Created", ordering="created_at")
def created(obj) -> str:
    """``02 Dec 14:05`` (local time) instead of ``Dec. 2, 2026, 2:05 p.m.``."""
    return date_format(localtime(obj.created_at), "d M H:i") if obj.created_at else ""
