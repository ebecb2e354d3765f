"""Gunicorn settings for Payjaro (``gunicorn -c gunicorn.conf.py payjaro_project.wsgi:application``).

Every value can be overridden from the environment:
    GUNICORN_BIND (default 0.0.0.0:$PORT, PORT default 8000), WEB_CONCURRENCY (workers, default 2 x cores + 1),
    GUNICORN_THREADS (default 1: sync workers), GUNICORN_TIMEOUT (30 s), GUNICORN_GRACEFUL_TIMEOUT (30 s),
    GUNICORN_KEEPALIVE (5 s), GUNICORN_MAX_REQUESTS (1000), GUNICORN_LOG_LEVEL (info),
    FORWARDED_ALLOW_IPS (gunicorn's own variable: who may set X-Forwarded-Proto; "*" inside docker-compose).
"""
import os


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))  # honours CPU pinning of the container
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


bind = os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = _int("WEB_CONCURRENCY", 2 * _cores() + 1)
threads = _int("GUNICORN_THREADS", 1)
worker_class = "gthread" if threads > 1 else "sync"

timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)

# Recycle workers now and then so a slow leak can never take the box down.
max_requests = _int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = max(1, max_requests // 10) if max_requests else 0

# The heartbeat file on tmpfs: a container's overlay filesystem can stall the worker heartbeat.
if os.path.isdir("/dev/shm"):  # noqa: S108 — gunicorn's documented choice, not a temp file of ours
    worker_tmp_dir = "/dev/shm"  # noqa: S108

# Logs to stdout/stderr (the container runtime collects them); no log files.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%({x-forwarded-for}i)s "%(r)s" %(s)s %(B)s %(M)sms "%(f)s" "%(a)s"'
# The token of a guest's order page (/<store>/orders/<token>/) is redacted from every access-log line.
logger_class = "payjaro_project.gunicorn_logging.RedactingLogger"

# Requests can only come through nginx; headers are limited to sensible sizes.
limit_request_line = 8190
limit_request_fields = 100
proc_name = "payjaro"
