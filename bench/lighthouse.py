#!/usr/bin/env python
"""Lighthouse (mobile) on the demo storefront and a product page, and the storefront's page weight (not a test).

    .venv/bin/python bench/lighthouse.py                 # prints the scores and the weight
    .venv/bin/python bench/lighthouse.py --update-readme # also writes the table into bench/README.md

What it does, all on loopback and bounded in time:

1. installs ``lighthouse@12.2.3`` with ``npm i -E`` into ``bench/lighthouse/node_modules`` (git-ignored) unless
   it is there;
2. migrates a fresh SQLite database in a temporary folder and loads ``seed_demo`` (with its pictures,
   thumbnails and preview JPEGs) into a temporary ``MEDIA_ROOT``;
3. serves it with gunicorn (``gunicorn.conf.py``, 2 workers) with ``DEBUG`` off, as deployed minus nginx
   (media through Django's ``/media/`` view with its one-week ``Cache-Control``);
4. runs Lighthouse's default (mobile: Moto G Power emulation, simulated slow 4G) with Debian's Chromium
   (``CHROME_PATH``, ``--headless=new --no-sandbox``) on ``/ada-styles/`` and one product page;
5. prints performance / accessibility / best practices / SEO (each must be ≥ 95) and the audits that cost
   points, and the storefront's HTML + CSS + JS weight gzip-compressed (must be < 50 KB).

Exit status 1 when a score or the weight misses its target.
"""
import argparse
import gzip
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import README, update_readme  # noqa: E402  (bench/run.py owns bench/README.md's sections)

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
NODE_DIR = HERE / "lighthouse"
LIGHTHOUSE = NODE_DIR / "node_modules" / "lighthouse" / "cli" / "index.js"
VERSION = "12.2.3"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
TARGET_SCORE = 95
TARGET_WEIGHT = 50 * 1024
STORE = "ada-styles"


def log(message: str) -> None:
    print(f"[lighthouse {datetime.now():%H:%M:%S}] {message}", flush=True)


def ensure_lighthouse() -> None:
    if LIGHTHOUSE.exists():
        return
    log(f"installing lighthouse@{VERSION} into {NODE_DIR}/node_modules")
    subprocess.run(["npm", "i", "-E", "--no-audit", "--no-fund", f"lighthouse@{VERSION}"], cwd=NODE_DIR,
                   check=True, timeout=900)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(url: str, timeout: float = 10) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # loopback only
        return response.read()


def wait_healthy(base: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            fetch(f"{base}/health/", timeout=2)
            return
        except OSError:
            time.sleep(0.25)
    raise RuntimeError("gunicorn did not become healthy within 60 s")


def page_weight(base: str, path: str) -> dict:
    """Bytes of the page's HTML and of the stylesheets and scripts it loads, raw and gzip-compressed."""
    html = fetch(f"{base}{path}")
    assets = re.findall(rb'<link[^>]+rel="stylesheet"[^>]+href="([^"]+)"', html)
    assets += re.findall(rb'<script[^>]+src="([^"]+)"', html)
    raw, compressed = len(html), len(gzip.compress(html, 9))
    for asset in assets:
        url = asset.decode()
        body = fetch(url if url.startswith("http") else f"{base}{url}")
        raw += len(body)
        compressed += len(gzip.compress(body, 9))
    return {"raw": raw, "gzip": compressed, "assets": len(assets)}


def run_lighthouse(url: str, out: Path) -> dict:
    env = {**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", "/usr/bin/chromium")}
    command = ["node", str(LIGHTHOUSE), url, "--output=json", f"--output-path={out}", "--quiet",
               "--chrome-flags=--headless=new --no-sandbox", f"--only-categories={','.join(CATEGORIES)}"]
    for attempt in range(1, 4):  # Chrome on a busy machine sometimes loses the trace (NO_NAVSTART): try again
        completed = subprocess.run(command, env=env, check=False, timeout=300)
        if completed.returncode == 0 and out.exists():
            break
        log(f"lighthouse failed (exit {completed.returncode}), attempt {attempt} of 3")
    else:
        raise RuntimeError(f"lighthouse failed three times on {url}")
    report = json.loads(out.read_text())
    scores = {name: round((report["categories"][name]["score"] or 0) * 100) for name in CATEGORIES}
    losses = []
    for name in CATEGORIES:
        for ref in report["categories"][name]["auditRefs"]:
            audit = report["audits"][ref["id"]]
            if ref.get("weight") and audit.get("score") is not None and audit["score"] < 1:
                losses.append(f"{name}: {ref['id']} ({audit['score']:.2f}) {audit.get('displayValue', '')}")
    metrics = {key: report["audits"][key].get("displayValue", "") for key in
               ("first-contentful-paint", "largest-contentful-paint", "total-blocking-time", "cumulative-layout-shift",
                "speed-index")}
    return {"scores": scores, "losses": losses, "metrics": metrics, "lighthouse": report.get("lighthouseVersion"),
            "benchmark_index": report.get("environment", {}).get("benchmarkIndex")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--update-readme", action="store_true", help="write the results table into bench/README.md")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (reports, database)")
    args = parser.parse_args()
    if not Path(os.environ.get("CHROME_PATH", "/usr/bin/chromium")).exists():
        print("Chromium is missing: apt-get install chromium (or set CHROME_PATH)", file=sys.stderr)
        return 2
    ensure_lighthouse()

    workdir = Path(tempfile.mkdtemp(prefix="payjaro-lighthouse-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **{key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")},
        "DJANGO_ENVIRONMENT": "development", "DEBUG": "false", "DATABASE_URL": f"sqlite:///{workdir}/db.sqlite3",
        "MEDIA_ROOT": str(workdir / "media"), "PUBLIC_BASE_URL": base, "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "2", "GUNICORN_LOG_LEVEL": "warning",
        "LOG_LEVEL": "WARNING",
    }
    python = sys.executable
    gunicorn = None
    try:
        log(f"seeding the demo into {workdir}")
        for command in (["migrate", "--noinput", "-v0"], ["seed_demo"]):
            subprocess.run([python, "manage.py", *command], cwd=ROOT, env=env, check=True, timeout=600,
                           stdout=subprocess.DEVNULL)
        with open(workdir / "gunicorn.log", "wb") as output:
            gunicorn = subprocess.Popen(
                [str(Path(python).parent / "gunicorn"), "-c", "gunicorn.conf.py", "payjaro_project.wsgi:application"],
                cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
        wait_healthy(base, gunicorn)
        store = json.loads(fetch(f"{base}/{STORE}/?format=json"))
        product = store["featured_products"][0]["slug"] if store["featured_products"] else \
            store["all_products"]["results"][0]["slug"]
        pages = {"storefront": f"/{STORE}/", "product": f"/{STORE}/product/{product}/"}
        weight = page_weight(base, pages["storefront"])
        results = {}
        for name, path in pages.items():
            log(f"lighthouse on {path}")
            fetch(f"{base}{path}")  # warm the page cache and the thumbnails, as a shared link would be
            results[name] = run_lighthouse(f"{base}{path}", workdir / f"{name}.json")
    finally:
        if gunicorn is not None and gunicorn.poll() is None:
            os.killpg(gunicorn.pid, signal.SIGTERM)  # the process group we started, nothing else
            try:
                gunicorn.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(gunicorn.pid, signal.SIGKILL)
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)

    version = next(iter(results.values()))["lighthouse"]
    load = os.getloadavg()[0]
    index = ", ".join(f"{r['benchmark_index']:.0f}" for r in results.values() if r.get("benchmark_index"))
    lines = [f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, Lighthouse {version}, mobile (default config: emulated "
             "Moto G Power, simulated slow 4G), Debian Chromium headless; gunicorn, DEBUG off, seed_demo with pictures; "
             f"machine load average {load:.1f} on {os.cpu_count()} cores, Lighthouse benchmarkIndex {index}.",
             "", "| page | performance | accessibility | best practices | SEO | FCP | LCP | TBT | CLS |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    ok = True
    for name, result in results.items():
        scores, metrics = result["scores"], result["metrics"]
        ok &= all(score >= TARGET_SCORE for score in scores.values())
        lines.append(f"| {name} (`{pages[name]}`) | " + " | ".join(str(scores[c]) for c in CATEGORIES) + " | "
                     + " | ".join(metrics[k] for k in ("first-contentful-paint", "largest-contentful-paint",
                                                       "total-blocking-time", "cumulative-layout-shift")) + " |")
    ok &= weight["gzip"] < TARGET_WEIGHT
    lines += ["", f"Storefront HTML + CSS + JS: {weight['raw'] / 1024:.1f} KB raw, **{weight['gzip'] / 1024:.1f} KB "
                  f"gzip** ({weight['assets']} external stylesheet/script files; the stylesheet is inline) — "
                  f"target < 50 KB: {'PASS' if weight['gzip'] < TARGET_WEIGHT else 'FAIL'}."]
    text = "\n".join(lines)
    print()
    print(text)
    for name, result in results.items():
        if result["losses"]:
            print(f"\nAudits that cost points on the {name} page:")
            for loss in result["losses"]:
                print(f"  - {loss}")
    if args.update_readme:
        written = update_readme(text, "lighthouse-results")
        log(f"results written to {README}" if written else f"no lighthouse-results markers in {README}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
