"""What one request costs, in this process: the app's CPU and its PostgreSQL backend's, per request (issue 17).

A companion of ``bench/run.py``, not a test (CI does not run it). It runs ``order create``, ``webhook`` (a
Paystack ``charge.success`` for a distinct pending transaction, re-verified against a loopback stub) or
``health`` through Django's test client with the same production settings gunicorn gets in ``run.py``, against
the database a ``run.py --keep-db`` left behind (``payjaro_bench``), and prints per request:

    app   CPU of this process (``time.process_time``; the gateway stub is nginx when it is installed, otherwise a
          thread of this process, ≈ 0.1–0.4 ms of a webhook in this column)
    wall  elapsed time (includes the waits on PostgreSQL and Redis)
    pg    CPU of this connection's PostgreSQL backend (``/proc/<pid>/stat``)

``--parts`` adds what the main parts of the request cost (the app CPU inside each, nested parts included in
their parents); ``--profile`` prints cProfile's top functions (wall time, waits included; ``--profile-cpu``: CPU time of
this process, waits excluded, ``--sort cumulative`` for the callers' view). One process, no
concurrency: the numbers are lower than under load, and the comparison of two revisions is what they are for —
alternate the runs (``git stash`` / ``git stash pop``) and compare, as the README's stop notes do.

    .venv/bin/python bench/run.py --keep-db --only health      # once: the database (≈ 2 minutes)
    .venv/bin/python bench/inprocess.py create -n 400 --parts
    .venv/bin/python bench/inprocess.py webhook -n 400          # makes pending orders when too few are left

Each run places real orders (new customers, so the hoarding bounds of ``orders.limits`` never refuse one) and pays
real pending transactions: the database grows; drop it when done (``DROP DATABASE payjaro_bench``) and flush the
bench's Redis database (``redis-cli -n 13 flushdb``).
"""
import argparse
import cProfile
import hashlib
import hmac
import json
import os
import pstats
import secrets
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import run as bench  # noqa: E402 — bench/run.py: the same settings, stub and secrets as the gunicorn run

ADDRESS = {"full_name": "Ngozi Eze", "phone": "08031234567", "address": "3 Awolowo Road, Ikoyi", "city": "Lagos",
           "state": "Lagos"}

# (module, attribute, label): the parts --parts times.
PARTS = [
    ("users.authentication", "JWTAuthentication.authenticate", "authentication"),
    ("rest_framework.views", "APIView.check_throttles", "throttles"),
    ("core.throttling", "OneRoundTripThrottlesMixin.check_throttles", "throttles (one round trip)"),
    ("orders.api", "_cart_arguments", "order input (serializer)"),
    ("orders.api", "order_create", "order_create (service)"),
    ("orders.services.checkout", "_prepare", "  cart: lines, listings, prices"),
    ("orders.services.checkout", "_reserve", "  limits + stock reservation"),
    ("orders.services.checkout", "_create_order", "  order, items, history rows"),
    ("django.db.backends.base.base", "BaseDatabaseWrapper.run_and_clear_commit_hooks", "  after commit"),
    ("orders.api", "OrderViewSet._out", "order output (serializer)"),
    ("payments.webhooks", "webhook_process", "webhook_process"),
    ("payments.gateways.paystack", "PaystackClient.verify", "  verify call"),
    ("payments.services.charges", "_apply_verification", "  the payment's transaction"),
]


def _timed(module_name: str, dotted: str, label: str, totals: dict) -> None:
    import importlib

    owner = importlib.import_module(module_name)
    *path, name = dotted.split(".")
    for part in path:
        owner = getattr(owner, part, None)
    original = getattr(owner, name, None)
    if original is None:  # not in this revision (an A/B run against an older one)
        return

    def wrapper(*args, **kwargs):
        started = time.process_time()
        try:
            return original(*args, **kwargs)
        finally:
            totals[label] = totals.get(label, 0.0) + time.process_time() - started

    setattr(owner, name, wrapper)


def _backend_cpu(connection) -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _new_customers(count: int):
    from users.models import User

    tag = secrets.token_hex(3)
    return User.objects.bulk_create([
        User(username=f"inproc-{tag}-{i}", email=f"inproc-{tag}-{i}@example.com", user_type="customer",
             referral_code=secrets.token_hex(6).upper(), phone_number=None)
        for i in range(count)
    ])


def _always_in_stock() -> list[tuple[str, int]]:
    from social.models import StoreProduct

    return list(StoreProduct.objects.filter(position=0, product__stock_quantity__gte=1_000_000)
                .values_list("storefront__entrepreneur__custom_url", "product_id")[:200])


def create_requests(client, count: int) -> list:
    from rest_framework_simplejwt.tokens import AccessToken

    pairs = _always_in_stock()
    requests = []
    for i, customer in enumerate(_new_customers(count)):
        custom_url, product_id = pairs[i % len(pairs)]
        body = json.dumps({"entrepreneur_custom_url": custom_url, "items": [{"product_id": product_id, "quantity": 1}],
                           "shipping_address": ADDRESS, "source_channel": "whatsapp"})
        headers = {"HTTP_AUTHORIZATION": f"Bearer {AccessToken.for_user(customer)}",
                   "HTTP_X_FORWARDED_FOR": f"10.1.{i >> 8 & 255}.{i & 255}"}
        requests.append(lambda body=body, headers=headers: client.post("/api/orders/orders/", body,
                                                                       content_type="application/json", **headers))
    return requests


def _pending_references(count: int) -> list[tuple[str, int]]:
    """``count`` pending Paystack payments ``(reference, kobo)``, placed through ``order_create`` when fewer are left."""
    from orders.services import OrderLine, order_create
    from payments.models import Transaction

    def pending():
        return list(Transaction.objects.filter(status="pending", transaction_type="payment", provider="paystack",
                                               transaction_id__startswith="bench-")
                    .values_list("transaction_id", "amount")[:count])

    found = pending()
    if len(found) < count:
        pairs = _always_in_stock()
        orders = [order_create(customer=customer, entrepreneur_custom_url=pairs[i % len(pairs)][0],
                               items=[OrderLine(product_id=pairs[i % len(pairs)][1], quantity=1)],
                               shipping_address=dict(ADDRESS))
                  for i, customer in enumerate(_new_customers(count - len(found)))]
        Transaction.objects.bulk_create([
            Transaction(transaction_id=f"bench-{order.pk}-{secrets.token_hex(4)}", order=order, user=order.customer,
                        transaction_type="payment", amount=order.total_amount, currency="NGN", status="pending",
                        provider="paystack")
            for order in orders
        ])
        found = pending()
    return [(reference, int(amount * 100)) for reference, amount in found]


def webhook_requests(client, count: int, stub) -> list:
    requests = []
    for i, (reference, kobo) in enumerate(_pending_references(count)):
        stub.add(reference, kobo, 10**9 + secrets.randbelow(10**12))  # the gateway's id: unique across runs
        body = json.dumps({"event": "charge.success", "data": {
            "id": 10**9 + secrets.randbelow(10**12), "reference": reference, "amount": kobo, "currency": "NGN",
            "status": "success"}}, separators=(",", ":"))
        signature = hmac.new(bench.PAYSTACK_SECRET.encode(), body.encode(), hashlib.sha512).hexdigest()
        headers = {"HTTP_X_PAYSTACK_SIGNATURE": signature, "HTTP_X_FORWARDED_FOR": f"10.2.{i >> 8 & 255}.{i & 255}"}
        requests.append(lambda body=body, headers=headers: client.post(
            "/api/payments/webhooks/paystack/", body, content_type="application/json", **headers))
    return requests


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenario", choices=["create", "webhook", "health"])
    parser.add_argument("-n", type=int, default=400, help="requests (the first --warm are not measured)")
    parser.add_argument("--warm", type=int, default=20)
    parser.add_argument("--parts", action="store_true", help="app CPU of the request's main parts")
    parser.add_argument("--profile", action="store_true", help="cProfile's top functions (wall time)")
    parser.add_argument("--profile-cpu", action="store_true", help="cProfile's top functions (this process's CPU)")
    parser.add_argument("--sort", default="tottime", help="pstats sort key (tottime, cumulative, ...)")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--sql", action="store_true", help="print the statements of the last request (untimed)")
    parser.add_argument("--db-name", default="payjaro_bench")
    parser.add_argument("--admin-db-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    args = parser.parse_args()
    args.secret_key, args.port, args.workers, args.threads = "inprocess-" + "k" * 50, 8765, None, None

    stub = bench.paystack_stub()
    stub.start()
    os.environ.update(bench.production_env(args, stub.port))
    os.environ["LOG_LEVEL"] = "ERROR"
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    client = Client(HTTP_HOST=bench.HOST, HTTP_X_FORWARDED_PROTO="https")
    if args.scenario == "create":
        requests = create_requests(client, args.n)
    elif args.scenario == "webhook":
        requests = webhook_requests(client, args.n, stub)
    else:
        requests = [lambda: client.get("/health/")] * args.n
    extra = requests.pop() if args.sql else None  # a request of its own: an order is paid or placed once
    totals: dict[str, float] = {}
    if args.parts:
        for module_name, dotted, label in PARTS:
            _timed(module_name, dotted, label, totals)

    def send(request):
        response = request()
        if response.status_code not in (200, 201):
            raise SystemExit(f"{args.scenario}: {response.status_code} {response.content[:500]!r}")
        if args.scenario == "webhook" and response.json().get("result") != "payment_completed":
            raise SystemExit(f"webhook not paid: {response.content[:300]!r}")

    for request in requests[:args.warm]:
        send(request)
    measured = requests[args.warm:]
    totals.clear()
    profile = (cProfile.Profile(time.process_time) if args.profile_cpu
               else cProfile.Profile() if args.profile else None)
    pg_before, cpu_before, wall_before = _backend_cpu(connection), time.process_time(), time.perf_counter()
    if profile:
        profile.enable()
    for request in measured:
        send(request)
    if profile:
        profile.disable()
    cpu, wall = time.process_time() - cpu_before, time.perf_counter() - wall_before
    pg = _backend_cpu(connection) - pg_before
    if extra is not None:
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:  # one more request, after the timed ones
            send(extra)
        for number, query in enumerate(captured.captured_queries, 1):
            print(f"{number:3}. {query['sql'][:300]}")
    stub.stop()
    if profile:
        pstats.Stats(profile).sort_stats(args.sort).print_stats(args.top)
    count = len(measured)
    for _module, _dotted, label in PARTS:
        if label in totals:
            print(f"  {label:<40} {totals[label] / count * 1000:6.2f} ms")
    print(f"{args.scenario}: app {cpu / count * 1000:.2f} ms, wall {wall / count * 1000:.2f} ms, "
          f"pg {pg / count * 1000:.2f} ms per request ({count} requests)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
