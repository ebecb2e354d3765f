#!/usr/bin/env python
"""Payjaro benchmark (not a test): seed a realistic dataset, serve it with gunicorn, load it with wrk.

    make bench                      # full dataset (≈ 2-4 min of seeding)
    make bench BENCH_ARGS=--small   # quick run
    .venv/bin/python bench/run.py --help

Needs: PostgreSQL (``--admin-db-url``; a fresh database ``--db-name`` is created and dropped), Redis
(``--redis-url``, one database number of its own: it is flushed), Debian's ``wrk``. Everything listens on
127.0.0.1 only. Every wait and every loop is bounded in count and time.
"""
import argparse
import hashlib
import hmac
import json
import os
import platform
import random
import re
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = Path(__file__).resolve().parent / "README.md"
PAYSTACK_SECRET = "sk_test_bench_" + "0" * 24
HOST = "127.0.0.1"
VISITORS = 5000  # distinct client addresses the load comes from
# The order-create scenario: each buyer places at most this many orders (the production bound on unpaid
# orders, ORDER_MAX_UNPAID_ORDERS, is 3); the webhook's pending orders are PENDING_PER_PAYER per customer.
ORDERS_PER_BUYER = 3
PENDING_PER_PAYER = 2

SIZES = {
    "full": {"suppliers": 200, "products": 20_000, "stores": 2_000, "listings": 25, "customers": 10_500,
             "orders": 50_000, "heavy_orders": 500, "pending": 10_000},
    "small": {"suppliers": 20, "products": 2_000, "stores": 200, "listings": 25, "customers": 1_500,
              "orders": 5_000, "heavy_orders": 200, "pending": 600},
}

WORDS_ADJ = ["Classic", "Premium", "Smart", "Ultra", "Eco", "Royal", "Golden", "Mini", "Pro", "Urban", "Vintage",
             "Lagos", "Abuja", "Silk", "Ankara", "Denim", "Leather", "Wireless", "Organic", "Handmade"]
WORDS_NOUN = ["Sneakers", "Handbag", "Headphones", "Phone Case", "Power Bank", "Wristwatch", "Gown", "Shirt",
              "Kaftan", "Sandals", "Perfume", "Shea Butter", "Blender", "Kettle", "Backpack", "Sunglasses",
              "Earrings", "Necklace", "Charger", "Speaker", "Agbada", "Wig", "Hair Cream", "Lipstick", "Notebook"]
CATEGORIES = ["Fashion", "Electronics", "Beauty", "Home & Kitchen", "Phones", "Accessories", "Health", "Books"]


def log(message: str) -> None:
    print(f"[bench {datetime.now():%H:%M:%S}] {message}", flush=True)


# --------------------------------------------------------------------------------------------------
# Environment: production settings on loopback
# --------------------------------------------------------------------------------------------------

def production_env(args, stub_port: int) -> dict[str, str]:
    env = {
        "DJANGO_ENVIRONMENT": "production",
        "DJANGO_SETTINGS_MODULE": "payjaro_project.settings",
        "SECRET_KEY": args.secret_key,
        "DATABASE_URL": f"{args.admin_db_url.rsplit('/', 1)[0]}/{args.db_name}",
        "REDIS_URL": args.redis_url,
        "ALLOWED_HOSTS": f"{HOST},localhost",
        "PUBLIC_BASE_URL": f"http://{HOST}:{args.port}",
        # TLS ends at nginx in production; the bench talks to gunicorn directly and says so with the proxy header.
        "SECURE_SSL_REDIRECT": "false",
        "PAYMENTS_SANDBOX": "false",
        "PAYSTACK_SECRET_KEY": PAYSTACK_SECRET,
        "PAYSTACK_PUBLIC_KEY": "pk_test_bench",
        "PAYSTACK_BASE_URL": f"http://{HOST}:{stub_port}",
        "FLUTTERWAVE_SECRET_KEY": "FLWSECK_TEST-bench",
        "FLUTTERWAVE_PUBLIC_KEY": "FLWPUBK_TEST-bench",
        "FLUTTERWAVE_SECRET_HASH": "bench-hash",
        # The load comes from one address: the rates are lifted so that throttling is not what is measured.
        "THROTTLE_ANON": "10000000/min", "THROTTLE_USER": "10000000/min", "THROTTLE_AUTH": "10000000/min",
        "THROTTLE_TRACKING": "10000000/min", "THROTTLE_WEBHOOKS": "10000000/min",
        # The per-customer placement rate too. The stock-hoarding bounds (orders.limits) stay at their production
        # values: the order-create scenario spreads its orders over thousands of customers, at most
        # ORDERS_PER_BUYER each, as real shoppers place them (each placement still counts what its customer holds).
        "THROTTLE_ORDERS": "10000000/min",
        "LOG_LEVEL": "WARNING",
        "GUNICORN_BIND": f"{HOST}:{args.port}",
        "GUNICORN_LOG_LEVEL": "warning",
        "GUNICORN_MAX_REQUESTS": "0",  # no worker recycling in the middle of a measurement
    }
    if args.workers:
        env["WEB_CONCURRENCY"] = str(args.workers)
    if args.threads:
        env["GUNICORN_THREADS"] = str(args.threads)
    return env


def create_database(args) -> None:
    import psycopg

    conn = psycopg.connect(args.admin_db_url, connect_timeout=5, autocommit=True)
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{args.db_name}"')
        cur.execute(f'CREATE DATABASE "{args.db_name}"')
    conn.close()


def drop_database(args) -> None:
    import psycopg

    conn = psycopg.connect(args.admin_db_url, connect_timeout=5, autocommit=True)
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{args.db_name}" WITH (FORCE)')
    conn.close()


# --------------------------------------------------------------------------------------------------
# Seeding (in this process, with the same production settings gunicorn gets)
# --------------------------------------------------------------------------------------------------

def seed(sizes: dict, rng: random.Random) -> dict:
    """Bulk-insert the dataset; returns what the scenarios need (paths, tokens, signed webhook bodies)."""
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction
    from django.utils import timezone
    from rest_framework_simplejwt.tokens import AccessToken

    from entrepreneurs.models import EntrepreneurProfile
    from orders.models import Order, OrderItem, OrderStatusHistory
    from orders.services import OrderLine, order_create
    from payments.models import Transaction
    from products.models import Category, Product, ProductImage, ProductVariation
    from social.models import EntrepreneurStorefront, StoreProduct
    from suppliers.models import SupplierProfile
    from users.models import User

    batch = 2000
    password = make_password("bench-Password-1")
    started = time.monotonic()

    def users(kind: str, count: int, offset: int) -> list:
        rows = [
            User(username=f"{kind}{i}", email=f"{kind}{i}@bench.payjaro.ng", user_type=kind, password=password,
                 phone_number=f"+234{offset + i:010d}", referral_code=f"B{kind[:2].upper()}{i:07d}")
            for i in range(count)
        ]
        User.objects.bulk_create(rows, batch_size=batch)
        return list(User.objects.filter(user_type=kind).order_by("id"))

    supplier_users = users("supplier", sizes["suppliers"], 7_000_000_000)
    suppliers = SupplierProfile.objects.bulk_create([
        SupplierProfile(user=user, company_name=f"Bench Supplier {i} Ltd", business_registration=f"RC-B{i:07d}",
                        address=f"{i} Broad Street, Lagos", contact_person="Ada Obi", phone_number=user.phone_number,
                        email=user.email, verification_status="verified", commission_rate=Decimal("10.00"))
        for i, user in enumerate(supplier_users)
    ], batch_size=batch)

    roots = Category.objects.bulk_create([Category(name=name, slug=re.sub(r"[^a-z]+", "-", name.lower()))
                                          for name in CATEGORIES])
    children = Category.objects.bulk_create([
        Category(name=f"{root.name} {n}", slug=f"{root.slug}-{n}", parent=root) for root in roots for n in range(1, 5)
    ])
    categories = roots + children

    products = []
    for i in range(sizes["products"]):
        name = f"{rng.choice(WORDS_ADJ)} {rng.choice(WORDS_NOUN)} {i}"
        base = Decimal(rng.randrange(500, 150_000, 50))
        products.append(Product(
            supplier=suppliers[i % len(suppliers)], category=rng.choice(categories), name=name,
            slug=f"{re.sub(r'[^a-z0-9]+', '-', name.lower())}", sku=f"BN-{i:07d}",
            description=f"{name}: quality goods delivered anywhere in Nigeria. Pay on Payjaro with Paystack.",
            base_price=base, suggested_markup=Decimal("20.00"), stock_quantity=rng.randrange(0, 500),
            catalog_visible=True,  # verified suppliers (bulk_create bypasses Product.save, which sets it)
        ))
    # The products the order-create and webhook scenarios buy never run out.
    for product in products[:200]:
        product.stock_quantity = 10_000_000
    products = Product.objects.bulk_create(products, batch_size=batch)
    ProductImage.objects.bulk_create([
        ProductImage(product=p, image=f"products/{p.pk}/main.jpg", alt_text=p.name, is_primary=True, position=0)
        for p in products
    ], batch_size=batch)
    ProductVariation.objects.bulk_create([
        ProductVariation(product=p, name=size, sku=f"{p.sku}-{size}", attributes={"size": size},
                         price_modifier=Decimal(100 * n), stock_quantity=rng.randrange(0, 100))
        for p in products[200::5] for n, size in enumerate(("M", "L"))
    ], batch_size=batch)
    log(f"seeded {len(suppliers)} suppliers, {len(products)} products ({time.monotonic() - started:.0f} s)")

    entrepreneur_users = users("entrepreneur", sizes["stores"], 8_000_000_000)
    entrepreneurs = EntrepreneurProfile.objects.bulk_create([
        EntrepreneurProfile(user=user, business_name=f"Bench Store {i}", custom_url=f"bench-store-{i}",
                            bio="Everything you need, delivered in Lagos, Abuja and Port Harcourt.")
        for i, user in enumerate(entrepreneur_users)
    ], batch_size=batch)
    storefronts = EntrepreneurStorefront.objects.bulk_create([
        EntrepreneurStorefront(entrepreneur=e, is_published=True, about_section="Welcome to my store",
                               seo_title=e.business_name, social_links={"instagram": f"@{e.custom_url}"})
        for e in entrepreneurs
    ], batch_size=batch)
    listings = []
    for index, storefront in enumerate(storefronts):
        # Every store sells one of the always-in-stock products first, then a random selection.
        chosen = {products[index % 200].pk: products[index % 200]}
        while len(chosen) < sizes["listings"]:
            product = rng.choice(products)
            chosen[product.pk] = product
        for position, product in enumerate(chosen.values()):
            listings.append(StoreProduct(storefront=storefront, product=product, position=position,
                                         is_featured=position < 4, selling_price=(product.base_price * Decimal("1.25"))))
    StoreProduct.objects.bulk_create(listings, batch_size=batch)
    log(f"seeded {len(storefronts)} storefronts, {len(listings)} listings ({time.monotonic() - started:.0f} s)")

    customers = users("customer", sizes["customers"], 9_000_000_000)
    heavy = customers[:10]
    orders, now = [], timezone.now()
    listing_rows = list(StoreProduct.objects.values_list("storefront__entrepreneur_id", "product_id", "selling_price",
                                                         "product__base_price", "product__supplier_id",
                                                         "product__name", "product__sku"))
    address = {"full_name": "Chinedu Okafor", "phone": "+2348031234567", "address": "14 Allen Avenue",
               "city": "Ikeja", "state": "Lagos"}
    picks = []
    for i in range(sizes["orders"]):
        customer = heavy[i % 10] if i < 10 * sizes["heavy_orders"] else customers[10 + i % (len(customers) - 10)]
        entrepreneur_id, product_id, price, base, supplier_id, name, sku = rng.choice(listing_rows)
        quantity = rng.randint(1, 3)
        subtotal, markup = base * quantity, (price - base) * quantity
        commission = (price * quantity * Decimal("0.05")).quantize(Decimal("0.01"))
        orders.append(Order(
            order_id=f"PAY{now:%Y%m%d}B{i:07X}", customer=customer, entrepreneur_id=entrepreneur_id,
            supplier_id=supplier_id, status="delivered", payment_status="paid", subtotal=subtotal,
            markup_amount=markup, commission_amount=commission, shipping_fee=Decimal("500.00"),
            total_amount=subtotal + markup + Decimal("500.00"), shipping_address=address, source_channel="whatsapp",
            supplier_commission_rate=Decimal("10.00"),  # every bench supplier's
        ))
        picks.append((product_id, name, sku, quantity, price, base, commission))
    orders = Order.objects.bulk_create(orders, batch_size=batch)
    OrderItem.objects.bulk_create([
        OrderItem(order=order, product_id=product_id, product_name=name, product_sku=sku, quantity=quantity,
                  unit_price=price, base_price=base, markup_amount=(price - base) * quantity,
                  commission_amount=commission, total_price=price * quantity)
        for order, (product_id, name, sku, quantity, price, base, commission) in zip(orders, picks, strict=True)
    ], batch_size=batch)
    OrderStatusHistory.objects.bulk_create([
        OrderStatusHistory(order=order, status="delivered", previous_status="shipped", notes="Delivered")
        for order in orders
    ], batch_size=batch)
    with connection.cursor() as cursor:  # spread the history over a year (auto_now_add stamped them all "now")
        cursor.execute("UPDATE orders_order SET created_at = created_at - mod(id, 365) * interval '1 day'")
    # Those paid orders earned their sellers money: every seller in them has the wallet its first sale created,
    # holding its shares (released: the orders are delivered). Without these rows every bench webhook would be a
    # seller's first sale and pay for creating a wallet, which real payments do once per seller.
    with connection.cursor() as cursor:
        cursor.execute("""
            INSERT INTO payments_wallet (created_at, updated_at, user_id, kind, balance, pending_balance,
                                         total_earned, total_withdrawn, currency)
            SELECT now(), now(), e.user_id, 'entrepreneur', o.share, 0, o.share, 0, 'NGN'
              FROM (SELECT entrepreneur_id, sum(markup_amount + commission_amount) AS share FROM orders_order
                     WHERE payment_status = 'paid' GROUP BY entrepreneur_id) o
              JOIN entrepreneurs_entrepreneurprofile e ON e.id = o.entrepreneur_id
            UNION ALL
            SELECT now(), now(), s.user_id, 'supplier', o.share, 0, o.share, 0, 'NGN'
              FROM (SELECT supplier_id, sum(subtotal - round(subtotal * 0.10, 2)) AS share FROM orders_order
                     WHERE payment_status = 'paid' GROUP BY supplier_id) o
              JOIN suppliers_supplierprofile s ON s.id = o.supplier_id""")
        wallets = cursor.rowcount
    log(f"seeded {len(customers)} customers, {len(orders)} orders, {wallets} sellers' wallets "
        f"({time.monotonic() - started:.0f} s)")

    # Real pending orders (through the checkout service) with pending Paystack transactions, for the webhook.
    # Customers after the 10 heavy ones: the payers hold the webhook's pending orders, the buyers place the
    # order-create scenario's orders (disjoint, so both stay within the production bounds of orders.limits).
    payers = customers[10:10 + -(-sizes["pending"] // PENDING_PER_PAYER)]
    buyers = customers[10 + len(payers):]
    always = [(entrepreneurs[i], products[i % 200]) for i in range(len(entrepreneurs))]
    pending = []
    for i in range(sizes["pending"]):
        entrepreneur, product = always[i % len(always)]
        order = order_create(customer=payers[i % len(payers)], entrepreneur_custom_url=entrepreneur.custom_url,
                             items=[OrderLine(product_id=product.pk, quantity=1)], shipping_address=address)
        pending.append(order)
    references = {}
    with transaction.atomic():
        Transaction.objects.bulk_create([
            Transaction(transaction_id=f"bench-{order.pk}-{secrets.token_hex(4)}", order=order, user=order.customer,
                        transaction_type="payment", amount=order.total_amount, currency="NGN", status="pending",
                        provider="paystack")
            for order in pending
        ], batch_size=batch)
        for ref, total in Transaction.objects.filter(status="pending").values_list("transaction_id", "amount"):
            references[ref] = int(total * 100)
    log(f"seeded {len(pending)} pending orders with Paystack transactions ({time.monotonic() - started:.0f} s)")

    with connection.cursor() as cursor:  # so that autovacuum has nothing left to do while we measure
        cursor.execute("VACUUM ANALYZE")

    lifetime = timedelta(hours=6)

    def token(user) -> str:
        access = AccessToken.for_user(user)
        access.set_exp(lifetime=lifetime)
        return str(access)

    return {
        "stores": [e.custom_url for e in entrepreneurs],
        "buy": [(e.custom_url, p.pk) for e, p in always[:200]],
        "buyer_tokens": [token(user) for user in buyers],
        "heavy_tokens": [token(user) for user in heavy],
        "heavy_orders": sizes["heavy_orders"],
        "references": references,
        "search_terms": sorted({w.split()[0].lower() for w in WORDS_NOUN} | {w.lower() for w in WORDS_ADJ}),
    }


# --------------------------------------------------------------------------------------------------
# The Paystack verify API, stubbed on loopback
# --------------------------------------------------------------------------------------------------

class PaystackStub:
    """Answers GET /transaction/verify/<ref> with a success for the transaction's exact amount."""

    def __init__(self):
        self.amounts: dict[str, int] = {}
        self.ids: dict[str, int] = {}  # the gateway's own transaction id: unique per reference
        self.calls = 0
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # The app keeps its gateway connection alive (payments.gateways.base.gateway_session): without
            # TCP_NODELAY the header and body writes of one answer meet the client's delayed ACK (~40 ms each).
            disable_nagle_algorithm = True

            def do_GET(self):  # noqa: N802 — http.server's naming
                stub.calls += 1
                match = re.fullmatch(r"/transaction/verify/([\w.-]+)", self.path)
                amount = stub.amounts.get(match.group(1)) if match else None
                if amount is None:
                    body, status = {"status": False, "message": "Transaction reference not found"}, 400
                else:
                    body, status = {"status": True, "message": "Verification successful", "data": {
                        "id": stub.ids.setdefault(match.group(1), 4_000_000 + len(stub.ids)), "status": "success",
                        "reference": match.group(1), "amount": amount, "currency": "NGN",
                        "paid_at": datetime.now(UTC).isoformat(), "gateway_response": "Successful", "channel": "card",
                    }}, 200
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer((HOST, 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)

    def add(self, reference: str, kobo: int, gateway_id: int | None = None) -> None:
        """Answer ``reference`` with a success for ``kobo`` (the gateway's own id: ``gateway_id`` or a new one)."""
        self.amounts[reference] = kobo
        if gateway_id is not None:
            self.ids[reference] = gateway_id

    def start(self):
        self.thread.start()

    def pids(self) -> set[int]:
        return set()  # a thread of this process: its CPU is in the "bench" column

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class NginxPaystackStub:
    """The same answers from nginx: one file per reference (the success body for its exact amount), written when
    the reference is added; any other path answers Paystack's "not found" (400). nginx answers a verify in a few
    microseconds of its own CPU where the Python stub spent ≈ 0.3 ms of the bench process's: the stub column of
    the table (nginx's master and workers) is then close to what a remote gateway costs this machine — nothing."""

    CONFIG = """
worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    log_format calls '$status';
    access_log {root}/access.log calls;
    keepalive_requests 1000000;
    keepalive_timeout 120s;
    server {{
        listen {host}:{port};
        location /transaction/verify/ {{
            root {root}/answers;
            default_type application/json;
            try_files $uri @unknown;
        }}
        location / {{ return 404; }}
        location @unknown {{
            default_type application/json;
            return 400 '{{"status":false,"message":"Transaction reference not found"}}';
        }}
    }}
}}
"""

    def __init__(self):
        import socket

        self.root = Path(tempfile.mkdtemp(prefix="payjaro-stub-"))
        self.root.chmod(0o755)  # nginx's workers (nobody) read the answers
        self.answers = self.root / "answers" / "transaction" / "verify"
        self.answers.mkdir(parents=True)
        for directory in (self.root / "answers", self.answers.parent, self.answers):
            directory.chmod(0o755)
        with socket.socket() as probe:
            probe.bind((HOST, 0))
            self.port = probe.getsockname()[1]
        self.process: subprocess.Popen | None = None
        self._next_id = 4_000_000

    def add(self, reference: str, kobo: int, gateway_id: int | None = None) -> None:
        if not re.fullmatch(r"[\w.-]+", reference):
            raise ValueError(f"unexpected reference {reference!r}")
        if gateway_id is None:
            self._next_id += 1
            gateway_id = self._next_id
        body = {"status": True, "message": "Verification successful", "data": {
            "id": gateway_id, "status": "success", "reference": reference, "amount": kobo, "currency": "NGN",
            "paid_at": datetime.now(UTC).isoformat(), "gateway_response": "Successful", "channel": "card"}}
        path = self.answers / reference
        path.write_text(json.dumps(body))
        path.chmod(0o644)

    @property
    def amounts(self):
        """``stub.amounts.update({reference: kobo})`` as with the Python stub."""
        stub = self

        class _Amounts:
            def update(self, items):
                for reference, kobo in dict(items).items():
                    stub.add(reference, kobo)

            def __setitem__(self, reference, kobo):
                stub.add(reference, kobo)

        return _Amounts()

    @property
    def calls(self) -> int:
        try:
            with (self.root / "access.log").open("rb") as lines:
                return sum(1 for _line in lines)
        except FileNotFoundError:
            return 0

    def start(self):
        config = self.root / "nginx.conf"
        config.write_text(self.CONFIG.format(root=self.root, host=HOST, port=self.port))
        self.process = subprocess.Popen(["nginx", "-p", str(self.root), "-c", str(config), "-g", "daemon off;"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx stub exited: {self.process.stderr.read().decode(errors='replace')}")
            try:
                with urllib.request.urlopen(f"http://{HOST}:{self.port}/", timeout=1):
                    pass
            except urllib.error.HTTPError:
                return  # the 404 of "/": nginx is answering
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("nginx stub did not start within 10 s")

    def pids(self) -> set[int]:
        if self.process is None:
            return set()
        found = {self.process.pid}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    text = (entry / "stat").read_text()
                except OSError:
                    continue
                if int(text[text.rindex(")") + 2:].split()[1]) == self.process.pid:
                    found.add(int(entry.name))
        return found

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        shutil.rmtree(self.root, ignore_errors=True)


def paystack_stub():
    """nginx's stub when nginx is installed (make bench installs it), the Python one otherwise."""
    return NginxPaystackStub() if shutil.which("nginx") else PaystackStub()


# --------------------------------------------------------------------------------------------------
# wrk scenarios
# --------------------------------------------------------------------------------------------------

LUA_COMMON = r"""
local counter = 0
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end
local n = 0
local function next_index(count)
  n = n + 1
  return ((n - 1) * NTHREADS + tid) % count + 1
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH_RESULT {\"requests\": %d, \"duration_us\": %d, \"socket_errors\": %d, \"status_errors\": %d, " ..
    "\"p50_us\": %d, \"p99_us\": %d, \"max_us\": %d}\n",
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(99), latency.max))
end
"""


LUA_LOAD = r"""
local reqs = {}
function init(args)
  -- One request per line: method, path, body, then header name/value pairs, tab separated.
  for line in io.lines(DATA) do
    local f = {}
    for field in (line .. "\t"):gmatch("([^\t]*)\t") do f[#f + 1] = field end
    local headers = {}
    for i = 4, #f - 1, 2 do headers[f[i]] = f[i + 1] end
    local body = nil
    if f[3] ~= "" then body = f[3] end
    reqs[#reqs + 1] = wrk.format(f[1], f[2], headers, body)
  end
end
function request()
  return reqs[next_index(#reqs)]
end
"""


def lua_script(data_file: Path, nthreads: int) -> str:
    """A wrk script cycling through the requests of ``data_file``; wrk's threads interleave, never repeat early."""
    return f"NTHREADS = {nthreads}\nDATA = {json.dumps(str(data_file))}\n{LUA_COMMON}\n{LUA_LOAD}"


def write_requests(path: Path, requests: list[tuple[str, str, dict, str | None]]) -> None:
    with open(path, "w") as out:
        for method, request_path, headers, body in requests:
            fields = [method, request_path, body or ""]
            for name, value in headers.items():
                fields += [name, value]
            if any("\t" in field or "\n" in field for field in fields):
                raise ValueError("tab or newline in a request field")
            out.write("\t".join(fields) + "\n")


_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _process_cpu() -> dict[str, float]:
    """CPU seconds used so far by the app (the gunicorn processes), PostgreSQL and Redis, from /proc: each live
    process's own time and its reaped children's (a PostgreSQL backend or parallel worker that ends is counted
    in the postmaster's)."""
    stats = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue
        comm = text[text.index("(") + 1:text.rindex(")")]
        fields = text[text.rindex(")") + 2:].split()
        stats[int(entry.name)] = (comm, int(fields[1]), sum(int(value) for value in fields[11:15]) / _TICK)
    app = {pid for pid, (comm, _, _) in stats.items() if pid == _GUNICORN_PID[0]}
    app |= {pid for pid, (_, ppid, _) in stats.items() if ppid in app}
    totals = {"app": 0.0, "postgres": 0.0, "redis": 0.0, "stub": 0.0}
    for pid, (comm, _, seconds) in stats.items():
        if pid in app:
            totals["app"] += seconds
        elif pid in _STUB_PIDS:
            totals["stub"] += seconds
        elif comm.startswith("postgres"):
            totals["postgres"] += seconds
        elif comm.startswith("redis-server"):
            totals["redis"] += seconds
    return totals


_GUNICORN_PID = [0]  # set once gunicorn is up
_STUB_PIDS: set[int] = set()  # nginx's, when it is the gateway stub


def _cpu_now() -> dict[str, float]:
    own = os.times()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # wrk, once it has been waited for
    return {**_process_cpu(), "wrk": children.ru_utime + children.ru_stime, "bench": own.user + own.system}


def run_wrk(args, name: str, requests: list, workdir: Path, *, connections: int, duration: int) -> dict:
    stem = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    data_file, script = workdir / f"{stem}.tsv", workdir / f"{stem}.lua"
    write_requests(data_file, requests)
    script.write_text(lua_script(data_file, args.wrk_threads))
    command = ["wrk", f"-t{args.wrk_threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "10s",
               "-s", str(script), f"http://{HOST}:{args.port}"]
    before = _cpu_now()
    completed = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60, check=False)
    after = _cpu_now()
    match = re.search(r"BENCH_RESULT (\{.*\})", completed.stdout)
    if completed.returncode != 0 or not match:
        raise RuntimeError(f"wrk failed for {name}: {completed.stdout}\n{completed.stderr}")
    raw = json.loads(match.group(1))
    seconds = raw["duration_us"] / 1e6
    return {
        "scenario": name, "connections": connections, "requests": raw["requests"],
        "rps": raw["requests"] / seconds if seconds else 0.0,
        "p50_ms": raw["p50_us"] / 1000, "p99_ms": raw["p99_us"] / 1000, "max_ms": raw["max_us"] / 1000,
        "errors": raw["socket_errors"] + raw["status_errors"],
        # CPU ms per request: gunicorn, PostgreSQL, Redis, wrk, this process (the gateway stub)
        "cpu_ms": {key: (after[key] - before[key]) * 1000 / max(raw["requests"], 1) for key in after},
    }


def http(method: str, path: str, port: int, headers: dict | None = None, body: bytes | None = None,
         timeout: float = 10) -> tuple[int, bytes]:
    request = urllib.request.Request(f"http://{HOST}:{port}{path}", data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # loopback only
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def wait_healthy(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            if http("GET", "/health/", port, timeout=2)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.25)
    raise RuntimeError("gunicorn did not become healthy within 60 s")


def statuses_since(log_file: Path, offset: int) -> tuple[dict, list[str]]:
    """Status codes of the gunicorn access-log lines written after ``offset``, and the first error lines."""
    counts: dict[str, int] = {}
    errors: list[str] = []
    with open(log_file, "rb") as log_stream:
        log_stream.seek(offset)
        for raw in log_stream:
            line = raw.decode(errors="replace").rstrip()
            match = re.search(r'HTTP/1\.[01]" (\d{3}) ', line)
            if match:
                counts[match.group(1)] = counts.get(match.group(1), 0) + 1
            elif len(errors) < 5 and '"level": "ERROR"' in line:
                try:
                    record = json.loads(line)
                    errors.append(f"{record.get('message')}: …{str(record.get('exc_info', ''))[-1500:]}")
                except ValueError:
                    errors.append(line[-1500:])
    return counts, errors


def scenarios(args, data: dict, port: int, workdir: Path, stub) -> list[dict]:
    base = {"Host": HOST, "X-Forwarded-Proto": "https", "User-Agent": "Mozilla/5.0 (Linux; Android 13) payjaro-bench"}

    def client(i: int, **extra) -> dict:
        # Visitors come from many addresses (as nginx reports them): per-address throttle histories stay small,
        # as they are in production, instead of one address accumulating every request of the run.
        i %= VISITORS
        return {**base, "X-Forwarded-For": f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}", **extra}
    duration, conns = args.duration, args.connections
    results = []

    def measure(name, requests, connections=conns, note="", warm=False):
        if results and args.only and not any(word in name for word in args.only):
            return None
        if warm:  # unmeasured: every gunicorn worker has its connections open and its code paths loaded
            run_wrk(args, f"{name} warm-up", requests, workdir, connections=connections, duration=3)
        log(f"scenario: {name} ({len(requests)} distinct requests, {connections} connections, {duration} s)")
        offset = args.gunicorn_log.stat().st_size
        result = run_wrk(args, name, requests, workdir, connections=connections, duration=duration)
        result["note"] = note
        counts, error_lines = statuses_since(args.gunicorn_log, offset)
        result["statuses"] = counts
        log(f"  status codes in the access log: {counts}")
        bad = {code: n for code, n in counts.items() if not code.startswith(("2", "3"))}
        if bad:
            result["note"] = f"{note}; non-2xx: {bad}".lstrip("; ")
            log(f"  non-2xx answers {bad}; first error lines of the gunicorn log:")
            for line in error_lines[:20]:
                print("    " + line, flush=True)
        results.append(result)
        log(f"  → {result['rps']:.0f} req/s, p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms, "
            f"errors {result['errors']}; CPU ms per request: {cpu_split(result)}")
        return result

    def get(path: str, i: int, **extra) -> tuple:
        return ("GET", path, client(i, **extra), None)

    # 1. The trivial endpoint (database SELECT 1 + a cache set/get), the yardstick for the ratios.
    measure("trivial: GET /health/", [get("/health/", i) for i in range(VISITORS)], warm=True)

    # 2. Public storefront, cached: 50 popular stores, warmed first; the JSON and the shopper's HTML page.
    popular = data["stores"][:50]
    as_json = {"Accept": "application/json"}
    as_browser = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
    for custom_url in popular:
        http("GET", f"/{custom_url}/", port, headers={**base, **as_json})
        http("GET", f"/{custom_url}/", port, headers={**base, **as_browser})
    measure("public storefront (cached)", [get(f"/{popular[i % len(popular)]}/", i, **as_json)
                                           for i in range(VISITORS)],
            note="JSON; 50 popular stores; the view event is one RPUSH to the buffer", warm=True)
    measure("storefront HTML (cached)", [get(f"/{popular[i % len(popular)]}/", i, **as_browser)
                                         for i in range(VISITORS)],
            note="the shopper's HTML page, browser Accept; 50 popular stores; the view event is one RPUSH",
            warm=True)

    # 3. Public storefront, uncached: every request a store × page size never asked for before.
    stores = data["stores"]
    sizes = list(range(5, 31))
    uncached = [get(f"/{stores[i % len(stores)]}/?page_size={sizes[(i // len(stores)) % len(sizes)]}", i,
                    Accept="application/json")
                for i in range(len(stores) * len(sizes))]
    random.Random(7).shuffle(uncached)
    result = measure("public storefront (uncached)", uncached)
    if result:
        result["note"] = ("each request a distinct store × page_size (cache miss)"
                          if result["requests"] <= len(uncached) else "WARNING: some requests repeated (cache hits)")

    # 4. Catalog search: popular terms (cached after the first request of each) and distinct queries (misses).
    terms = data["search_terms"]
    measure("catalog search (cached)", [get(f"/api/products/products/?search={terms[i % len(terms)]}", i)
                                        for i in range(VISITORS)],
            note=f"{len(terms)} popular terms", warm=True)
    # (`_`, which the catalog ignores, multiplies the distinct URLs: a fast run must not wrap round to cache hits)
    misses = [get(f"/api/products/products/?search={t}&page={p}&page_size={s}&_={r}", i)
              for i, (t, p, s, r) in enumerate((t, p, s, r) for t in terms for p in range(1, 4) for s in range(10, 31)
                                               for r in range(8))]
    random.Random(8).shuffle(misses)
    result = measure("catalog search (uncached)", misses)
    if result:
        result["note"] = ("distinct term × page × page_size × `_` (cache miss); search over 20,000 products"
                          if result["requests"] <= len(misses) else "WARNING: some requests repeated (cache hits)")

    # 4b. Catalog page, uncached (issue 17): the first pages of 20, newest first, each URL asked once (`_` is a
    # parameter the catalog ignores, so every request misses the per-URL cache); full and compact views.
    for view, label in (("", "catalog page (uncached)"), ("&view=compact", "catalog page compact (uncached)")):
        pages = [get(f"/api/products/products/?page={1 + i % 5}&page_size=20{view}&_={i}", i) for i in range(40_000)]
        result = measure(label, pages)
        if result:
            shape = "; id, name, price, thumbnail" if view else ""
            result["note"] = (f"20 per page, pages 1–5, every URL distinct (cache miss){shape}"
                              if result["requests"] <= len(pages) else "WARNING: some requests repeated (cache hits)")

    # 5. Order list of customers with many orders.
    tokens = data["heavy_tokens"]
    measure("order list (customer)",
            [get("/api/orders/orders/", i, Authorization=f"Bearer {tokens[i % len(tokens)]}") for i in range(len(tokens))],
            note=f"{len(tokens)} customers with {data['heavy_orders']} orders each, first page of 20")

    # 6. Order create: 20 concurrent clients, thousands of real customers (each at most ORDERS_PER_BUYER orders, the
    # production bound), 200 store/product pairs with plenty of stock, no unit_price.
    creates = []
    buyer_tokens = data["buyer_tokens"]
    for i in range(ORDERS_PER_BUYER * len(buyer_tokens)):
        custom_url, product_id = data["buy"][i % len(data["buy"])]
        token = buyer_tokens[i % len(buyer_tokens)]
        body = json.dumps({
            "entrepreneur_custom_url": custom_url,
            "items": [{"product_id": product_id, "quantity": 1}],
            "shipping_address": {"full_name": "Ngozi Eze", "phone": "08031234567", "address": "3 Awolowo Road, Ikoyi",
                                 "city": "Lagos", "state": "Lagos"},
            "source_channel": "whatsapp",
        })
        creates.append(("POST", "/api/orders/orders/",
                        client(i, Authorization=f"Bearer {token}", **{"Content-Type": "application/json"}), body))
    result = measure("order create", creates, connections=20,
                     note=f"20 concurrent clients, {len(buyer_tokens):,} customers (≤ {ORDERS_PER_BUYER} orders each, "
                          "production hoarding bounds), 200 stores/products, server-side prices")
    if result and result["requests"] > len(creates):
        result["note"] += "; WARNING: the request list wrapped: customers went past the hoarding bound"

    # 7. Paystack webhook: signed charge.success for distinct pending transactions, verified against the stub.
    stub.amounts.update(data["references"])
    hooks = []
    for i, (reference, kobo) in enumerate(data["references"].items()):
        body = json.dumps({"event": "charge.success", "data": {
            "id": 5_000_000 + i, "reference": reference, "amount": kobo, "currency": "NGN", "status": "success"}},
            separators=(",", ":"))
        signature = hmac.new(PAYSTACK_SECRET.encode(), body.encode(), hashlib.sha512).hexdigest()
        hooks.append(("POST", "/api/payments/webhooks/paystack/",
                      client(i, **{"Content-Type": "application/json", "X-Paystack-Signature": signature}), body))
    result = measure("Paystack webhook", hooks)
    if result:
        result["note"] = (f"distinct pending transactions, verify API stubbed on loopback ({stub.calls} verify calls)"
                          if result["requests"] <= len(hooks)
                          else f"WARNING: {result['requests'] - len(hooks)} deliveries were duplicates")
    return results


# --------------------------------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------------------------------

def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kb = int(next(line for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal")).split()[1])
        memory = f", {kb / 1024 / 1024:.1f} GiB RAM"
    except (OSError, StopIteration, ValueError):
        pass
    system = f"{platform.system()} {platform.release()}"
    return f"nproc {len(os.sched_getaffinity(0))}, {cpu}{memory}, {system}"


def cpu_split(result: dict) -> str:
    cpu = result.get("cpu_ms") or {}
    cpu = {**cpu, "stub": cpu.get("stub", 0) + cpu.get("bench", 0)}  # nginx's, or the Python stub's (this process)
    return " / ".join(f"{cpu.get(key, 0):.1f}" for key in ("app", "postgres", "redis", "wrk", "stub"))


def table(results: list[dict]) -> str:
    trivial = results[0]["rps"] or 1.0
    lines = [
        "| scenario | conns | requests | req/s | p50 ms | p99 ms | errors | vs trivial "
        "| CPU ms/req: app / PG / Redis / wrk / stub | notes |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        lines.append(f"| {r['scenario']} | {r['connections']} | {r['requests']} | {r['rps']:.0f} | {r['p50_ms']:.1f} | "
                     f"{r['p99_ms']:.1f} | {r['errors']} | {r['rps'] / trivial:.0%} | {cpu_split(r)} | {r['note']} |")
    return "\n".join(lines)


# (scenario, minimum share of /health/'s req/s, maximum p99 ms, which issue set it). None = not a target.
TARGETS = [
    ("public storefront (cached)", 0.8, None, "17"),
    ("storefront HTML (cached)", 0.8, None, "13: ≥ 0.7; 17: ≥ 0.8"),
    ("catalog page (uncached)", 0.25, None, "17"),
    ("order list (customer)", None, 200, "17"),
    ("order create", 0.2, 300, "17; 0 errors"),
    ("Paystack webhook", 0.2, None, "17"),
]


def verdict(results: list[dict]) -> list[str]:
    """Each target of issues 13 and 17 met or not, in this run."""
    by_name = {r["scenario"]: r for r in results}
    trivial = results[0]["rps"] or 1.0
    lines = []
    for name, share, p99, source in TARGETS:
        r = by_name.get(name)
        if not r:
            continue
        wanted, ok = [], r["errors"] == 0
        if share is not None:
            wanted.append(f"≥ {share:.0%} of /health/")
            ok = ok and r["rps"] >= share * trivial
        if p99 is not None:
            wanted.append(f"p99 < {p99} ms")
            ok = ok and r["p99_ms"] < p99
        lines.append(f"- {name}: {r['rps'] / trivial:.0%} of /health/, p99 {r['p99_ms']:.0f} ms, {r['errors']} errors "
                     f"(issue {source}: {', '.join(wanted)}): {'PASS' if ok else 'FAIL'}")
    return lines


def update_readme(text: str, section: str = "bench-results") -> bool:
    """Put ``text`` between ``<!-- {section}:start -->`` and ``<!-- {section}:end -->`` in bench/README.md (the
    bench scripts each own one section). False, writing nothing, when the markers are not there."""
    start, end = f"<!-- {section}:start -->", f"<!-- {section}:end -->"
    content = README.read_text()
    if start not in content or end not in content:
        return False
    before, rest = content.split(start, 1)
    _, after = rest.split(end, 1)
    README.write_text(f"{before}{start}\n{text}\n{end}{after}")
    return True


# --------------------------------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", action="store_true", help="a small dataset and 5 s scenarios (quick check)")
    for key in SIZES["full"]:
        parser.add_argument(f"--{key.replace('_', '-')}", type=int, help=f"default {SIZES['full'][key]} "
                                                                          f"({SIZES['small'][key]} with --small)")
    parser.add_argument("--duration", type=int, help="seconds per scenario (default 15; 5 with --small)")
    parser.add_argument("--connections", type=int, default=20, help="concurrent connections for the GET scenarios")
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: gunicorn.conf.py, 2 × cores + 1)")
    parser.add_argument("--threads", type=int, help="gunicorn threads per worker (default: gunicorn.conf.py)")
    parser.add_argument("--admin-db-url", default=os.environ.get("BENCH_ADMIN_DB_URL",
                                                                 "postgres://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--db-name", default="payjaro_bench")
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13"))
    parser.add_argument("--keep-db", action="store_true", help="leave the database for inspection")
    parser.add_argument("--update-readme", action="store_true", help="write the results table into bench/README.md")
    parser.add_argument("--only", nargs="*", help="run only scenarios whose name contains one of these words "
                                                   "(the trivial endpoint always runs); for profiling")
    parser.add_argument("--seed", type=int, default=20250101, help="random seed of the dataset")
    args = parser.parse_args()
    args.secret_key = secrets.token_urlsafe(50)
    profile = "small" if args.small else "full"
    sizes = {key: getattr(args, key) or default for key, default in SIZES[profile].items()}
    args.duration = args.duration or (5 if args.small else 15)

    if not shutil.which("wrk"):
        print("wrk is not installed: apt-get install wrk (make bench does it)", file=sys.stderr)
        return 2
    if not args.redis_url.startswith("redis://127.0.0.1") and not args.redis_url.startswith("redis://localhost"):
        print("--redis-url must be on loopback", file=sys.stderr)
        return 2

    stub = paystack_stub()
    stub.start()
    _STUB_PIDS.update(stub.pids())
    env = production_env(args, stub.port)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)

    gunicorn = None
    workdir = Path(tempfile.mkdtemp(prefix="payjaro-bench-"))
    started = datetime.now(UTC)
    try:
        log(f"fresh database {args.db_name}; sizes {sizes}")
        create_database(args)
        import django

        django.setup()
        from django.core.cache import cache
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
        cache.clear()  # the bench's own Redis database
        data = seed(sizes, random.Random(args.seed))
        from django.db import connections

        connections.close_all()

        gunicorn_log = args.gunicorn_log = workdir / "gunicorn.log"
        with open(gunicorn_log, "wb") as output:
            gunicorn = subprocess.Popen(
                [str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py", "payjaro_project.wsgi:application"],
                cwd=ROOT, env={**os.environ, **env}, stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
            )
        wait_healthy(args.port, gunicorn)
        _GUNICORN_PID[0] = gunicorn.pid
        log(f"gunicorn up on {HOST}:{args.port} (log: {gunicorn_log})")

        from django.db.models import Count
        from django.utils import timezone

        from orders.models import Order
        from payments.models import Transaction

        load_started = timezone.now()
        results = scenarios(args, data, args.port, workdir, stub)

        statuses = dict(Transaction.objects.filter(transaction_id__startswith="bench-")
                        .values_list("status").annotate(n=Count("id")).order_by())
        created = Order.objects.filter(created_at__gte=load_started).count()
        from analytics.buffer import view_events_flush, view_events_pending
        from analytics.models import AnalyticsEvent

        buffered = view_events_pending()
        flush_started = time.monotonic()
        flushed = 0
        while view_events_pending() and time.monotonic() - flush_started < 300:  # bounded
            flushed += view_events_flush(batch_size=2000, max_batches=100)
        flush_seconds = time.monotonic() - flush_started
        view_rows = AnalyticsEvent.objects.filter(event_type="storefront_view").count()
        import runpy

        conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
        header = (f"Run {started:%Y-%m-%d %H:%M} UTC on {machine()}; gunicorn.conf.py: {conf['workers']} "
                  f"{conf['worker_class']} workers × {conf['threads']} thread(s); "
                  f"dataset {sizes}; {args.duration} s per scenario, wrk -t{args.wrk_threads}.")
        text = "\n".join([header, "", table(results), "", *verdict(results), "",
                          f"After the run: webhook transactions by status {statuses}; orders created under load {created}; "
                          f"{buffered} buffered view events flushed ({flushed} written in {flush_seconds:.1f} s, "
                          f"{view_rows} storefront_view rows)."])
        print()
        print(text)
        if args.update_readme:
            log(f"results written to {README}" if update_readme(text) else f"no bench-results markers in {README}")
        return 0
    finally:
        if gunicorn is not None and gunicorn.poll() is None:
            os.killpg(gunicorn.pid, signal.SIGTERM)  # the process group we started, nothing else
            try:
                gunicorn.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(gunicorn.pid, signal.SIGKILL)
                gunicorn.wait(timeout=10)
        stub.stop()
        try:
            from django.core.cache import cache

            cache.clear()
        except Exception as exc:  # noqa: BLE001 — best-effort cleanup
            log(f"could not flush the bench Redis database: {exc}")
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: BLE001
            pass
        if not args.keep_db:
            drop_database(args)
        shutil.rmtree(workdir, ignore_errors=True) if not args.keep_db else log(f"kept {workdir}")


if __name__ == "__main__":
    sys.exit(main())
