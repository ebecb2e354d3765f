"""``runserver`` with a loud warning when the debug server is reachable from other machines.

With ``DEBUG`` on, Django's error pages show settings, source and local variables to whoever triggers an
error; the development server is also not built to face a network. Binding it to ``0.0.0.0`` (or any
non-loopback address) is sometimes needed — a phone on the same Wi-Fi — so it is allowed, but never silently.
Static files are still served as ``django.contrib.staticfiles``' runserver does (this app is listed before it).
"""
import ipaddress

from django.conf import settings
from django.contrib.staticfiles.management.commands.runserver import Command as StaticfilesRunserver

WARNING = (
    "\n"
    "!!! WARNING: the development server is listening on {addr}, reachable from other machines, with DEBUG on.\n"
    "!!! Anyone who can reach it sees full error pages (settings, source code, local variables) and the demo\n"
    "!!! accounts. Bind it to 127.0.0.1 (make run does), or use production settings behind nginx.\n"
)


def is_loopback(addr: str) -> bool:
    host = addr.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def exposure_warning(addr: str, *, debug: bool) -> str:
    """The warning to print for a debug server on ``addr``, or "" when there is nothing to warn about."""
    if not debug or is_loopback(addr):
        return ""
    return WARNING.format(addr=addr)


class Command(StaticfilesRunserver):
    def inner_run(self, *args, **options):
        warning = exposure_warning(self.addr, debug=settings.DEBUG)
        if warning:
            self.stderr.write(self.style.ERROR(warning))
        return super().inner_run(*args, **options)
