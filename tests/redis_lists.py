"""A Redis list of a test's own for the buffer/outbox tests (``core.redis_lists``): ``TEST_REDIS_URL`` (default
database 5 on loopback), a fresh key in the settings, the key and its in-flight list and lock deleted afterwards."""
import os
import uuid
from contextlib import contextmanager

import pytest
import redis

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/5")


@contextmanager
def redis_list(settings, *, url_setting: str, key_setting: str, name: str):
    """``with redis_list(settings, url_setting=…, key_setting=…, name=…) as (client, key):`` — skips the test
    without a Redis."""
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {REDIS_URL} (set TEST_REDIS_URL) for the {name} tests")
    key = f"test:{name}:{uuid.uuid4().hex}"
    setattr(settings, url_setting, REDIS_URL)
    setattr(settings, key_setting, key)
    client = redis.Redis.from_url(REDIS_URL)
    try:
        yield client, key
    finally:
        client.delete(key, f"{key}:inflight", f"{key}:flush-lock")


def redis_list_fixture(*, url_setting: str, key_setting: str, name: str):
    """A pytest fixture yielding ``(client, key)`` of ``redis_list`` for these settings."""
    @pytest.fixture
    def fixture(settings):
        with redis_list(settings, url_setting=url_setting, key_setting=key_setting, name=name) as pair:
            yield pair
    return fixture
