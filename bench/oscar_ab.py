#!/usr/bin/env python
"""Payjaro vs django-oscar 4.2 + django-oscar-api 3.3, side by side on this machine (not a test; CI does not run it).

    make bench-oscar                                     # 20,000 products, 3 interleaved rounds
    .venv/bin/python bench/oscar_ab.py --products 2000 --rounds 3 --duration 5     # quick look
    .venv/bin/python bench/oscar_ab.py --help

What it does:
1. Oscar lives in its own virtualenv (``bench/.oscar-venv``, git-ignored, made from ``bench/oscar/requirements.txt``
   on first use); it is never a project dependency. Its shop (``bench/oscar/settings.py``) is the documented
   minimal Oscar + oscarapi setup, DEBUG off, PostgreSQL, 20 per page.
2. Both shops get the same catalogue: ``bench/run.py``'s seed for Payjaro and ``bench/oscar/seed.py`` for Oscar
   draw the same names, prices and stock from the same random seed (the first 200 products never run out).
3. Both are served by gunicorn with the same number of sync workers (``gunicorn.conf.py``'s default, 2 × cores + 1)
   on loopback, Payjaro with its production settings (Redis cache and throttles, lifted rates as in bench/run.py).
4. Each round runs every scenario on both shops, the order of the two alternating from round to round (A/B, B/A,
   …), and the ratio Payjaro/Oscar of requests (or checkouts) per second is printed per round and as the median.

Scenarios:
- catalog list, uncached: ``GET /api/products/products/?page=N&_=<counter>`` vs oscarapi ``GET /api/products/?page=N``,
  every page 1…1,000 in a shuffled order and again; Payjaro's URLs never repeat (the counter ``_`` is a parameter
  the catalog ignores), so every Payjaro request misses its cache (flushed before each measurement too); Oscar
  has no API cache.
- catalog list compact, uncached: the same, Payjaro's ``?view=compact`` (id, name, price, thumbnail per product) —
  the like-for-like row: oscarapi's list is its link list (``url``, ``id``, ``title``…) while Payjaro's full list
  carries each product's description, prices, stock, supplier, category, images and variations.
- catalog list, cached: the first 20 pages, asked again and again (Payjaro serves them from its versioned cache;
  Oscar has no API cache, which is the point of measuring it).
- product detail, uncached: distinct product ids (cache flushed first).
- checkout: one product, quantity 1, 20 concurrent clients for ``--duration`` seconds, counted in completed
  checkouts per second. Payjaro: ``POST /api/orders/checkouts/`` as a logged-in customer (JWT), server-side prices,
  stock reserved. Oscar: the oscarapi guest flow — ``POST /api/basket/add-product/`` then ``POST /api/checkout/``
  with the session cookie — which is what a client of oscarapi must send to place an order.
"""
import argparse
import http.client
import itertools
import json
import os
import random
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(ROOT))

import run as payjaro_bench  # noqa: E402  (bench/run.py: the seed, wrk driver, environment)

# Requests of each uncached catalog scenario: more than either shop serves in one measurement, so no Payjaro URL
# repeats (a repeat would be a cache hit).
UNCACHED_REQUESTS = 20_000

OSCAR_DIR = BENCH / "oscar"
HOST = payjaro_bench.HOST


def log(message: str) -> None:
    print(f"[oscar-ab {datetime.now():%H:%M:%S}] {message}", flush=True)


# --------------------------------------------------------------------------------------------------
# The Oscar side: virtualenv, database, seed, gunicorn
# --------------------------------------------------------------------------------------------------

def oscar_python(venv: Path) -> Path:
    python = venv / "bin" / "python"
    marker = venv / ".installed"
    requirements = OSCAR_DIR / "requirements.txt"
    if not marker.exists() or marker.read_text() != requirements.read_text():
        log(f"creating Oscar's virtualenv in {venv} from {requirements.relative_to(ROOT)}")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r",
                        str(requirements)], check=True, timeout=900)
        marker.write_text(requirements.read_text())
    return python


def oscar_env(args) -> dict[str, str]:
    return {**os.environ, "DJANGO_SETTINGS_MODULE": "settings", "OSCAR_BENCH_DB": args.oscar_db,
            "OSCAR_BENCH_SECRET": secrets.token_urlsafe(40), "PYTHONPATH": str(OSCAR_DIR)}


def oscar_prepare(args, python: Path) -> list[int]:
    admin = argparse.Namespace(admin_db_url=args.admin_db_url, db_name=args.oscar_db)
    payjaro_bench.create_database(admin)
    env = oscar_env(args)
    started = time.monotonic()
    subprocess.run([str(python), "-m", "django", "migrate", "--noinput", "-v0"], cwd=OSCAR_DIR, env=env,
                   check=True, timeout=900)
    log(f"Oscar migrated ({time.monotonic() - started:.0f} s)")
    seeded = subprocess.run([str(python), "seed.py", str(args.products), str(args.seed)], cwd=OSCAR_DIR, env=env,
                            check=True, timeout=1800, capture_output=True, text=True)
    sys.stderr.write(seeded.stderr)
    return json.loads(seeded.stdout.strip().splitlines()[-1])["products"]


def start_gunicorn(command: list[str], cwd: Path, env: dict, log_file: Path, port: int) -> subprocess.Popen:
    with open(log_file, "wb") as output:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}; see {log_file}")
        try:
            status, _ = payjaro_bench.http("GET", "/api/" if "oscar" in str(cwd) else "/health/", port, timeout=2)
            if status == 200:
                return process
        except OSError:
            pass
        time.sleep(0.25)
    raise RuntimeError(f"gunicorn on {port} did not answer within 60 s")


def stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)  # the process group we started, nothing else
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


# --------------------------------------------------------------------------------------------------
# Checkout load: 20 client threads on keep-alive connections, counted in completed checkouts
# --------------------------------------------------------------------------------------------------

def checkout_load(port: int, flows: list, clients: int, duration: float) -> dict:
    """Each client thread repeats ``flow(connection, i)`` (True = a checkout placed) until the time is up."""
    deadline = time.monotonic() + duration
    lock = threading.Lock()
    done, failed, latencies, errors = [0], [0], [], []

    def worker(index: int) -> None:
        connection = http.client.HTTPConnection(HOST, port, timeout=30)
        flow, i = flows[index % len(flows)], index
        while time.monotonic() < deadline:
            began = time.monotonic()
            try:
                ok, detail = flow(connection, i)
            except (OSError, http.client.HTTPException) as exc:
                ok, detail = False, repr(exc)
                connection.close()
                connection = http.client.HTTPConnection(HOST, port, timeout=30)
            elapsed = time.monotonic() - began
            with lock:
                if ok:
                    done[0] += 1
                    latencies.append(elapsed)
                else:
                    failed[0] += 1
                    if len(errors) < 3:
                        errors.append(detail)
            i += clients
        connection.close()

    threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=duration + 60)
    seconds = time.monotonic() - started
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000 if latencies else 0.0
    return {"requests": done[0], "rps": done[0] / seconds, "p50_ms": pct(0.50), "p99_ms": pct(0.99),
            "errors": failed[0], "error_samples": errors}


def exchange(connection, method: str, path: str, headers: dict, body: dict | None = None):
    payload = json.dumps(body).encode() if body is not None else None
    connection.request(method, path, body=payload, headers={**headers, "Content-Type": "application/json"})
    response = connection.getresponse()
    return response.status, response.getheader("Set-Cookie") or "", response.read()


def payjaro_flow(data: dict):
    address = {"full_name": "Ngozi Eze", "phone": "08031234567", "address": "3 Awolowo Road, Ikoyi",
               "city": "Lagos", "state": "Lagos"}

    # Each checkout by the next customer (every round and client alike): thousands of customers, each far below
    # the production hoarding bounds (orders.limits: at most 3 unpaid reservations), as real shoppers are.
    customers = itertools.count()

    def flow(connection, i: int):
        custom_url, product_id = data["buy"][i % len(data["buy"])]
        token = data["buyer_tokens"][next(customers) % len(data["buyer_tokens"])]
        headers = {"Host": HOST, "X-Forwarded-Proto": "https", "Authorization": f"Bearer {token}",
                   "X-Forwarded-For": f"10.9.{i >> 8 & 255}.{i & 255}"}
        status, _, body = exchange(connection, "POST", "/api/orders/checkouts/", headers, {
            "entrepreneur_custom_url": custom_url, "items": [{"product_id": product_id, "quantity": 1}],
            "shipping_address": address, "source_channel": "whatsapp"})
        return status == 201, f"{status} {body[:200]!r}"
    return flow


def oscar_flow(port: int, product_ids: list[int]):
    base = f"http://{HOST}:{port}"
    address = {"first_name": "Ngozi", "last_name": "Eze", "line1": "3 Awolowo Road", "line4": "Ikoyi",
               "state": "Lagos", "postcode": "100001", "phone_number": "+2348031234567",
               "country": f"{base}/api/countries/NG/"}

    def flow(connection, i: int):
        product = product_ids[i % len(product_ids)]
        headers = {"Host": f"{HOST}:{port}"}
        cookie = getattr(connection, "oscar_cookie", "")
        if cookie:
            headers["Cookie"] = cookie
        status, set_cookie, body = exchange(connection, "POST", "/api/basket/add-product/", headers,
                                            {"url": f"{base}/api/products/{product}/", "quantity": 1})
        if set_cookie:
            connection.oscar_cookie = cookie = "; ".join(part.split(";", 1)[0] for part in set_cookie.split(", ")
                                                         if "=" in part.split(";", 1)[0])
            headers["Cookie"] = cookie
        if status != 200:
            return False, f"add-product {status} {body[:200]!r}"
        basket = json.loads(body)["url"]
        status, _, body = exchange(connection, "POST", "/api/checkout/", headers, {
            "basket": basket, "guest_email": f"guest{i}@bench.example", "shipping_address": address})
        return status == 200, f"checkout {status} {body[:200]!r}"
    return flow


# --------------------------------------------------------------------------------------------------

def wrk(args, port: int, name: str, requests: list, connections: int) -> dict:
    namespace = argparse.Namespace(port=port, wrk_threads=args.wrk_threads)
    return payjaro_bench.run_wrk(namespace, name, requests, args.workdir, connections=connections,
                                 duration=args.duration)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=8, help="seconds per scenario and shop")
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--payjaro-port", type=int, default=8765)
    parser.add_argument("--oscar-port", type=int, default=8766)
    parser.add_argument("--admin-db-url", default=os.environ.get("BENCH_ADMIN_DB_URL",
                                                                 "postgres://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13"))
    parser.add_argument("--oscar-venv", type=Path, default=BENCH / ".oscar-venv")
    parser.add_argument("--seed", type=int, default=20250101)
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--update-readme", action="store_true", help="write the table into bench/README.md")
    args = parser.parse_args()
    args.db_name, args.oscar_db = "payjaro_bench_ab", "oscar_bench_ab"
    args.secret_key = secrets.token_urlsafe(50)
    args.port = args.payjaro_port
    args.workers = args.threads = None
    args.workdir = Path(tempfile.mkdtemp(prefix="oscar-ab-"))
    if not args.redis_url.startswith(("redis://127.0.0.1", "redis://localhost")):
        print("--redis-url must be on loopback", file=sys.stderr)
        return 2

    python = oscar_python(args.oscar_venv)
    stub = payjaro_bench.PaystackStub()
    stub.start()
    env = payjaro_bench.production_env(args, stub.port)
    os.environ.update(env)
    os.chdir(ROOT)
    payjaro = oscar = None
    started = datetime.now(UTC)
    try:
        sizes = {"suppliers": 200, "products": args.products, "stores": 200, "listings": 25, "customers": 3_000,
                 "orders": 0, "heavy_orders": 0, "pending": 0}
        log(f"Payjaro: fresh database {args.db_name}, {args.products} products")
        payjaro_bench.create_database(args)
        import django

        django.setup()
        from django.core.cache import cache
        from django.core.management import call_command
        from django.db import connections

        call_command("migrate", verbosity=0, interactive=False)
        cache.clear()
        data = payjaro_bench.seed(sizes, random.Random(args.seed))
        connections.close_all()
        log(f"Oscar: fresh database {args.oscar_db}")
        oscar_ids = oscar_prepare(args, python)

        import runpy

        workers = runpy.run_path(str(ROOT / "gunicorn.conf.py"))["workers"]
        payjaro = start_gunicorn([str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py",
                                  "payjaro_project.wsgi:application"], ROOT, {**os.environ, **env},
                                 args.workdir / "payjaro.log", args.payjaro_port)
        oscar = start_gunicorn([str(args.oscar_venv / "bin" / "gunicorn"), "-w", str(workers), "-k", "sync",
                                "-b", f"{HOST}:{args.oscar_port}", "--keep-alive", "5", "wsgi:application"],
                               OSCAR_DIR, oscar_env(args), args.workdir / "oscar.log", args.oscar_port)
        log(f"both up: Payjaro :{args.payjaro_port}, Oscar :{args.oscar_port}, {workers} sync workers each")

        header = {"Host": HOST, "X-Forwarded-Proto": "https", "User-Agent": "payjaro-oscar-ab"}

        def get(path: str, i: int) -> tuple:
            return ("GET", path, {**header, "X-Forwarded-For": f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}"}, None)

        pages = max(1, args.products // 20 - 5)
        ids = list(range(len(oscar_ids)))
        payjaro_ids = list(_payjaro_product_ids())

        def scenario_requests(name: str, side: str, round_no: int) -> list:
            rng = random.Random(f"{name}-{round_no}")
            if name in ("catalog list (uncached)", "catalog list compact (uncached)"):
                # Every page in a shuffled order, again and again; Payjaro's URLs carry a counter (``_``, a
                # parameter the catalog ignores) so that no request is a cache hit however many it serves.
                order = list(range(1, pages + 1))
                rng.shuffle(order)
                view = "view=compact&" if "compact" in name else ""
                if side == "payjaro":
                    return [get(f"/api/products/products/?{view}page={order[i % pages]}&_={i}", i)
                            for i in range(UNCACHED_REQUESTS)]
                return [get(f"/api/products/?page={order[i % pages]}", i) for i in range(UNCACHED_REQUESTS)]
            if name == "catalog list (cached)":
                path = "/api/products/products/?page={}" if side == "payjaro" else "/api/products/?page={}"
                return [get(path.format(1 + i % 20), i) for i in range(2000)]
            if name == "product detail (uncached)":
                rng.shuffle(ids)
                if side == "payjaro":
                    return [get(f"/api/products/products/{payjaro_ids[k]}/", i) for i, k in enumerate(ids)]
                return [get(f"/api/products/{oscar_ids[k]}/", i) for i, k in enumerate(ids)]
            raise ValueError(name)

        names = ["catalog list (uncached)", "catalog list compact (uncached)", "catalog list (cached)",
                 "product detail (uncached)", "checkout"]
        rows: dict[str, list[tuple[dict, dict]]] = {name: [] for name in names}
        for round_no in range(args.rounds):
            sides = ["payjaro", "oscar"] if round_no % 2 == 0 else ["oscar", "payjaro"]
            for name in names:
                result = {}
                for side in sides:
                    port = args.payjaro_port if side == "payjaro" else args.oscar_port
                    if name == "checkout":
                        flow = payjaro_flow(data) if side == "payjaro" else oscar_flow(port, oscar_ids[:200])
                        result[side] = checkout_load(port, [flow], args.connections, args.duration)
                    else:
                        requests = scenario_requests(name, side, round_no)
                        if "uncached" in name:
                            cache.clear()  # Payjaro's cache (its own Redis database); Oscar has none
                        elif "cached" in name:  # warm both (one pass over the 20 pages), unmeasured
                            for _, path, hdrs, _ in requests[:20]:
                                payjaro_bench.http("GET", path, port, headers=hdrs)
                        result[side] = wrk(args, port, f"{name} {side}", requests, args.connections)
                        if "uncached" in name and result[side]["requests"] > len(requests):
                            result[side]["note"] = "WARNING: requests repeated (some cache hits)"
                    r = result[side]
                    log(f"round {round_no + 1} {name:26} {side:7}: {r['rps']:7.1f}/s p50 {r['p50_ms']:6.1f} ms "
                        f"p99 {r['p99_ms']:7.1f} ms errors {r['errors']} {r.get('error_samples') or ''}")
                rows[name].append((result["payjaro"], result["oscar"]))

        text = report(args, started, workers, rows)
        print()
        print(text)
        if args.update_readme:
            written = payjaro_bench.update_readme(text, "oscar-ab")
            log(f"results written to {payjaro_bench.README}" if written
                else f"no oscar-ab markers in {payjaro_bench.README}")
        return 0
    finally:
        stop(payjaro)
        stop(oscar)
        stub.stop()
        try:
            from django.db import connections

            connections.close_all()
        except Exception as exc:  # noqa: BLE001 — best-effort cleanup at exit; the databases are dropped next
            log(f"could not close the database connections: {exc}")
        if not args.keep_db:
            payjaro_bench.drop_database(args)
            payjaro_bench.drop_database(argparse.Namespace(admin_db_url=args.admin_db_url, db_name=args.oscar_db))


def _payjaro_product_ids() -> list[int]:
    from products.models import Product

    return list(Product.objects.order_by("id").values_list("id", flat=True))


def report(args, started, workers: int, rows: dict) -> str:
    lines = [
        f"Run {started:%Y-%m-%d %H:%M} UTC on {payjaro_bench.machine()}; {args.products} products in each shop; "
        f"{workers} sync gunicorn workers each; {args.rounds} interleaved rounds (A/B then B/A), {args.duration} s "
        f"per scenario and shop, {args.connections} connections.",
        "",
        "| scenario | Payjaro req/s (per round) | Oscar req/s (per round) | Payjaro p99 ms | Oscar p99 ms "
        "| errors P/O | ratio per round | median ratio |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, pairs in rows.items():
        ratios = [p["rps"] / o["rps"] if o["rps"] else float("inf") for p, o in pairs]
        ours = " / ".join(f"{p['rps']:.0f}" for p, _ in pairs)
        theirs = " / ".join(f"{o['rps']:.0f}" for _, o in pairs)
        p99_ours = statistics.median(p["p99_ms"] for p, _ in pairs)
        p99_theirs = statistics.median(o["p99_ms"] for _, o in pairs)
        errors = f"{sum(p['errors'] for p, _ in pairs)}/{sum(o['errors'] for _, o in pairs)}"
        per_round = " / ".join(f"{r:.2f}" for r in ratios)
        lines.append(f"| {name} | {ours} | {theirs} | {p99_ours:.0f} | {p99_theirs:.0f} | {errors} | {per_round} "
                     f"| **{statistics.median(ratios):.2f}** |")
    lines += ["", "The full catalog list carries each product's description, prices, stock, supplier, category, images "
              "and variations; oscarapi's list is a link list (url, id, title), which Payjaro's `?view=compact` "
              "(id, name, price, thumbnail) matches.",
              "", "Checkout counts completed checkouts per second (Oscar: two requests each, add-product + checkout; "
              "Payjaro: one). A ratio ≥ 1 means Payjaro is faster."]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
