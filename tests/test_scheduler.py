"""The embedded default's periodic jobs (SPEC §2): ``manage.py run_scheduler`` — the command ``make run``
starts beside ``runserver`` — runs CELERY_BEAT_SCHEDULE without Redis or Celery beat.

The must-show test runs it for real, in a subprocess, against the test database (committed data:
``transaction=True``), with every job every second (SCHEDULER_INTERVAL_SECONDS=1): an unpaid order past its
reservation gets its stock back and a delivered order's earnings become available, with no manual command.
"""
import logging
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from celery import shared_task
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from orders.models import Order
from orders.services import order_transition
from payments.models import Wallet
from payments.tests.factories import place_order

ROOT = Path(__file__).resolve().parent.parent


def database_url() -> str:
    """The URL of the database this test runs on (the test database), for a subprocess."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        assert db["NAME"] != ":memory:" and "mode=memory" not in str(db["NAME"])
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def pay_through_sandbox(client, order) -> None:
    response = client.post("/api/payments/initialize/", {"order_id": order.order_id, "provider": "sandbox"},
                           format="json")
    assert response.status_code in (200, 201), response.content
    reference = response.json()["reference"]
    page = client.post(f"/api/payments/sandbox/checkout/{reference}/", {"outcome": "pay"})
    assert page.status_code == 200, page.content
    order.refresh_from_db()
    assert order.payment_status == "paid"


def wait_for(predicate, *, timeout: float, process: subprocess.Popen) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        if process.poll() is not None:
            return False
        time.sleep(0.5)
    return predicate()


@pytest.mark.django_db(transaction=True)
def test_scheduler_subprocess_releases_expired_stock_and_matured_earnings(auth_client):
    expired = place_order(quantity=3)
    product = expired.items.get().product
    assert product.stock_quantity == 97
    Order.objects.filter(pk=expired.pk).update(reserved_until=timezone.now() - timedelta(minutes=1))

    delivered = place_order()  # entrepreneur share 520 (see place_order)
    pay_through_sandbox(auth_client(delivered.customer), delivered)
    supplier_user = delivered.supplier.user
    for step in ("processing", "shipped", "delivered"):
        order_transition(order_id=delivered.pk, to_status=step, actor=supplier_user,
                         tracking_number="GIG-123" if step == "shipped" else "")
    Order.objects.filter(pk=delivered.pk).update(delivered_at=timezone.now() - timedelta(days=8))
    wallet = Wallet.objects.get(user=delivered.entrepreneur.user)
    assert (wallet.pending_balance, wallet.balance) == (Decimal("520.00"), Decimal("0.00"))

    env = {**os.environ, "DJANGO_ENVIRONMENT": "test", "DATABASE_URL": database_url(),
           "SCHEDULER_INTERVAL_SECONDS": "1", "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([sys.executable, "manage.py", "run_scheduler"], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        def settled():
            expired.refresh_from_db()
            product.refresh_from_db()
            wallet.refresh_from_db()
            return expired.status == "cancelled" and wallet.balance == Decimal("520.00")

        done = wait_for(settled, timeout=120, process=process)
        # The state can settle part-way through the first round (SIGTERM is honoured between jobs):
        # let a few more 1-second rounds run so every job has logged at least once before we stop it.
        if done:
            time.sleep(3)
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    assert done, output
    assert process.returncode == 0, output
    assert product.stock_quantity == 100
    assert (wallet.pending_balance, wallet.balance, wallet.total_earned) == (
        Decimal("0.00"), Decimal("520.00"), Decimal("520.00"))
    for job in ("release-expired-orders", "reconcile-pending-transactions", "release-matured-earnings",
                "rollup-daily-metrics"):
        assert f"scheduler: {job} " in output, output
    assert "scheduler: stopped" in output


@shared_task(name="tests.scheduler_boom")
def scheduler_boom():
    raise RuntimeError("boom")


@shared_task(name="tests.scheduler_ok")
def scheduler_ok():
    return "fine"


@pytest.mark.django_db
def test_one_failing_job_is_logged_and_the_others_still_run(settings, caplog):
    settings.CELERY_BEAT_SCHEDULE = {
        "boom": {"task": "tests.scheduler_boom", "schedule": timedelta(minutes=5)},
        "ok": {"task": "tests.scheduler_ok", "schedule": timedelta(minutes=5)},
    }
    with caplog.at_level(logging.INFO, logger="payjaro.scheduler"), pytest.raises(CommandError, match="1 of 2"):
        call_command("run_scheduler", "--once")
    failed = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(failed) == 1 and "boom (tests.scheduler_boom) failed" in failed[0].getMessage()
    assert failed[0].exc_info and "boom" in str(failed[0].exc_info[1])
    assert any("ok (tests.scheduler_ok) ran" in r.getMessage() and "'fine'" in r.getMessage()
               for r in caplog.records)


@shared_task(name="tests.scheduler_idle")
def scheduler_idle():
    return 0


@pytest.mark.django_db
def test_a_quick_run_with_nothing_to_do_is_a_debug_line(settings, caplog):
    settings.CELERY_BEAT_SCHEDULE = {
        "idle": {"task": "tests.scheduler_idle", "schedule": timedelta(seconds=2)},
        "ok": {"task": "tests.scheduler_ok", "schedule": timedelta(minutes=5)},
    }
    with caplog.at_level(logging.DEBUG, logger="payjaro.scheduler"):
        call_command("run_scheduler", "--once")
    levels = {r.getMessage().split(" (")[0]: r.levelno for r in caplog.records if " ran in " in r.getMessage()}
    assert levels == {"scheduler: idle": logging.DEBUG, "scheduler: ok": logging.INFO}


def test_unknown_task_or_entry_is_refused(settings):
    settings.CELERY_BEAT_SCHEDULE = {"ghost": {"task": "nowhere.tasks.ghost", "schedule": 60}}
    with pytest.raises(CommandError, match="do not exist"):
        call_command("run_scheduler", "--once")
    with pytest.raises(CommandError, match="Unknown schedule entries"):
        call_command("run_scheduler", "--once", "--only", "nope")


@pytest.mark.django_db
def test_every_periodic_job_has_a_management_command():
    out = StringIO()
    call_command("release_expired_orders", stdout=out)
    call_command("reconcile_payments", stdout=out)
    call_command("release_earnings", stdout=out)
    call_command("rollup_metrics", stdout=out)
    text = out.getvalue()
    assert "Released 0 expired order(s)." in text
    assert "Reconciled: {'payments': 0, 'refunds': 0, 'payouts': 0, 'late_payments': 0, 'errors': 0}" in text
    assert "Released the earnings of 0 order(s)." in text
    assert "Rolled up" in text
