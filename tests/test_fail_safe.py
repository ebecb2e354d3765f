"""Fail-safe defaults (issue 11 item 8): a per-checkout development SECRET_KEY, a loud warning for an exposed
debug server, and a clear error for an unknown DJANGO_ENVIRONMENT."""
import os
import stat
import subprocess
import sys
import threading
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from core.management.commands import runserver
from payjaro_project.settings.secret_key import local_secret_key

ROOT = Path(__file__).resolve().parent.parent


def python(env_overrides: dict, code: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in ("SECRET_KEY", "DJANGO_ENVIRONMENT")}
    env.update(env_overrides)
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


SETUP = "import django; django.setup(); from django.conf import settings; "


# --- SECRET_KEY -----------------------------------------------------------------------------------------


def test_the_key_is_generated_once_private_and_reused(tmp_path):
    path = tmp_path / ".secret_key"
    key = local_secret_key(path)
    assert len(key) >= 50
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().strip() == key
    assert local_secret_key(path) == key
    assert local_secret_key(tmp_path / "other") != key  # another checkout, another key


def test_concurrent_first_runs_agree_on_one_key(tmp_path):
    path = tmp_path / ".secret_key"
    keys, barrier = [], threading.Barrier(8)

    def first_run():
        barrier.wait()
        keys.append(local_secret_key(path))

    threads = [threading.Thread(target=first_run) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(keys) == 8 and len(set(keys)) == 1
    assert path.read_text().strip() == keys[0]


def test_an_unwritable_checkout_gets_a_process_key_with_a_warning(tmp_path, caplog):
    key = local_secret_key(tmp_path / "missing-dir" / ".secret_key")
    assert len(key) >= 50
    assert "using a SECRET_KEY for this process only" in caplog.text


def test_no_signing_key_is_written_in_the_repository():
    assert ".secret_key" in (ROOT / ".gitignore").read_text().split()
    tracked = subprocess.run(["git", "ls-files", ".secret_key"], cwd=ROOT, capture_output=True, text=True)
    assert tracked.returncode == 0 and tracked.stdout == ""
    for name in ("base.py", "development.py", "test.py"):
        source = (ROOT / "payjaro_project" / "settings" / name).read_text()
        assert "insecure" not in source.lower()
    # The running (test) settings use this checkout's generated key.
    if not os.environ.get("SECRET_KEY"):
        assert settings.SECRET_KEY == (ROOT / ".secret_key").read_text().strip()


def test_development_uses_the_checkout_key_unless_secret_key_is_set():
    code = SETUP + "print(settings.SECRET_KEY); print(settings.VISITOR_ID_SALT)"
    generated = python({"DJANGO_ENVIRONMENT": "development"}, code)
    assert generated.returncode == 0, generated.stderr
    assert generated.stdout.split() == [(ROOT / ".secret_key").read_text().strip()] * 2

    explicit = python({"DJANGO_ENVIRONMENT": "development", "SECRET_KEY": "k" * 60}, code)
    assert explicit.returncode == 0, explicit.stderr
    assert explicit.stdout.split() == ["k" * 60] * 2


# --- DJANGO_ENVIRONMENT ---------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["staging", "prod", "", "developement"])
def test_an_unknown_environment_stops_startup_naming_the_allowed_values(value):
    result = python({"DJANGO_ENVIRONMENT": value}, SETUP + "print('started')")
    assert result.returncode != 0
    assert "started" not in result.stdout
    assert "ImproperlyConfigured" in result.stderr
    assert f"DJANGO_ENVIRONMENT must be development, production or test, not {value!r}" in result.stderr


@pytest.mark.parametrize("value", ["Development", " development "])
def test_the_environment_name_is_case_and_space_insensitive(value):
    result = python({"DJANGO_ENVIRONMENT": value}, SETUP + "print(settings.DJANGO_ENVIRONMENT)")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "development"


# --- runserver on a non-loopback address ----------------------------------------------------------------


@pytest.mark.parametrize(("addr", "loopback"), [
    ("127.0.0.1", True), ("127.0.1.1", True), ("localhost", True), ("::1", True), ("[::1]", True),
    ("0.0.0.0", False), ("::", False), ("192.168.1.20", False), ("payjaro.local", False),
])
def test_loopback_addresses(addr, loopback):
    assert runserver.is_loopback(addr) is loopback


@pytest.fixture
def served(monkeypatch):
    """Run the real command up to Django's own inner_run (migration check, serving), which only records the
    address it would serve on (the real one closes every database connection, the test's included)."""
    from django.core.management.commands.runserver import Command as DjangoRunserver

    calls = []
    monkeypatch.setattr(DjangoRunserver, "inner_run",
                        lambda self, *args, **options: calls.append((self.addr, int(self.port))))

    def serve(address):
        out, err = StringIO(), StringIO()
        call_command("runserver", address, use_reloader=False, skip_checks=True, stdout=out, stderr=err)
        return err.getvalue()

    serve.calls = calls
    return serve


def test_debug_server_on_all_interfaces_prints_a_loud_warning(served, settings):
    settings.DEBUG = True
    err = served("0.0.0.0:8123")
    assert "WARNING: the development server is listening on 0.0.0.0, reachable from other machines, with DEBUG on" in err
    assert served.calls == [("0.0.0.0", 8123)]  # and it still starts: sometimes a phone on the Wi-Fi needs it


def test_no_warning_on_loopback_or_without_debug(served, settings):
    settings.DEBUG = True
    assert served("127.0.0.1:8124") == ""
    settings.DEBUG = False
    assert "WARNING" not in served("0.0.0.0:8125")
    assert [port for _addr, port in served.calls] == [8124, 8125]


def test_runserver_still_serves_static_files():
    from django.contrib.staticfiles.management.commands.runserver import Command as StaticfilesRunserver

    assert issubclass(runserver.Command, StaticfilesRunserver)
    from django.core.management import get_commands

    assert get_commands()["runserver"] == "core"
