"""Django admin brute-force protection (django-axes), limited to the admin site.

Failed logins at ``/admin/login/`` are recorded in the database (``axes.AccessAttempt``, with every
failure in ``AccessFailureLog`` and every login in ``AccessLog``; all visible in Django admin), shared
by every gunicorn worker. After ``ADMIN_LOGIN_FAILURE_LIMIT`` failures for one username, or from one
client address, further attempts get the lockout page (HTTP 429) for ``ADMIN_LOCKOUT_MINUTES``;
``manage.py axes_reset`` (or deleting the attempt in admin) lifts it early.

The API login (``POST /api/users/login/``) is not counted here: it has its own throttles, and a
per-username lockout on the API would let anybody lock any customer out of the app.
"""
from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler

from core.throttling import client_address


def client_ip(request) -> str | None:
    """``AXES_CLIENT_IP_CALLABLE``: the client address as the API throttles see it (``core.throttling``), None
    when there is none."""
    return client_address(request) or None


class AdminLoginHandler(AxesDatabaseHandler):
    """Axes' database handler for admin-site requests only."""

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        if request is not None and self.is_admin_request(request):
            return super().user_login_failed(sender, credentials, request, **kwargs)
        return None

    def user_logged_in(self, sender, request, user, **kwargs):
        if request is not None and self.is_admin_request(request):
            return super().user_logged_in(sender, request, user, **kwargs)
        return None

    def user_logged_out(self, sender, request, user, **kwargs):
        if request is not None and self.is_admin_request(request):
            return super().user_logged_out(sender, request, user, **kwargs)
        return None


class AdminLockoutBackend(AxesStandaloneBackend):
    """Refuses a locked-out admin login; an ``authenticate()`` without a request (the test client's
    ``login()``, a shell) is no HTTP login attempt and passes to the next backend."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
