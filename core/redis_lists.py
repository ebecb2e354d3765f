"""Redis lists that hold work off the request path (``analytics.buffer``'s view events, ``notifications.outbox``'s
notifications): the client for a list's URL, and the lock that lets one flush at a time drain a list."""
import functools
import logging
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import redis

logger = logging.getLogger(__name__)


@functools.cache
def list_client(url: str) -> redis.Redis:
    """One client per URL and process (its connection pool is shared by the process's threads)."""
    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


@contextmanager
def flush_lock(client: redis.Redis, key: str, *, seconds: int) -> Iterator[bool]:
    """``with flush_lock(client, key, seconds=…) as held:`` — ``held`` is False when another flush of ``key``
    holds ``<key>:flush-lock``. The lock expires after ``seconds`` (a flusher that died frees it) and is deleted
    on the way out only while it is still this flush's (a token), never another's that took it after expiry."""
    lock, token = f"{key}:flush-lock", secrets.token_hex(8)
    held = bool(client.set(lock, token, nx=True, ex=seconds))
    try:
        yield held
    finally:
        if held and client.get(lock) == token.encode():
            client.delete(lock)


def drain(client: redis.Redis | None, key: str, *, lock_seconds: int, label: str, work: Callable[[str], int]) -> int:
    """``work(inflight)`` — a flush of the list ``key`` through its in-flight list ``<key>:inflight`` — under the
    list's ``flush_lock``; its count (logged when not 0), or 0 without a client or when another flush holds the
    lock (logged)."""
    if client is None:
        return 0
    with flush_lock(client, key, seconds=lock_seconds) as held:
        if not held:
            logger.info("%s flush skipped: another flush is running", label)
            return 0
        flushed = work(f"{key}:inflight")
    if flushed:
        logger.info("%s flush: %d flushed", label, flushed)
    return flushed
