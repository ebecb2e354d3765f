"""``core.cache.cached_value`` with the tokens a request has already read: a value this process has seen under
those very tokens costs no round trip, and nothing is answered that the shared cache would not answer."""
import pytest

from core import cache as core_cache


class _CountingCache:
    def __init__(self, cache):
        self.cache, self.calls = cache, 0

    def __getattr__(self, name):
        attribute = getattr(self.cache, name)
        if callable(attribute):
            def counted(*args, **kwargs):
                self.calls += 1
                return attribute(*args, **kwargs)
            return counted
        return attribute


@pytest.fixture
def counting(monkeypatch, settings):
    settings.PUBLIC_CACHE_SECONDS = 300
    wrapper = _CountingCache(core_cache.cache)
    monkeypatch.setattr(core_cache, "cache", wrapper)
    monkeypatch.setattr(core_cache, "_LOCAL_VALUES", {})
    wrapper.cache.clear()
    return wrapper


def _value(counting, computed, known, parts=("a",)):
    def compute():
        computed.append(1)
        return 40 + len(computed)
    return core_cache.cached_value(name="n", scopes=["v:x"], parts=parts, compute=compute, known=known)


def test_a_value_seen_under_the_requests_tokens_costs_no_round_trip(counting):
    computed = []
    tokens = core_cache.current_tokens(["v:x"])
    assert _value(counting, computed, tokens) == 41 and computed == [1]
    calls = counting.calls
    assert _value(counting, computed, tokens) == 41 and counting.calls == calls  # process memory
    assert _value(counting, computed, None) == 41 and counting.calls > calls  # no tokens known: the shared cache
    assert _value(counting, computed, tokens, parts=("b",)) == 42  # other parts: another value
    assert computed == [1, 1]


def test_a_bump_makes_the_remembered_value_unreachable(counting):
    computed = []
    tokens = core_cache.current_tokens(["v:x"])
    assert _value(counting, computed, tokens) == 41
    core_cache.bump("v:x")
    fresh = core_cache.current_tokens(["v:x"])
    assert fresh != tokens
    assert _value(counting, computed, fresh) == 42 and computed == [1, 1]
    calls = counting.calls
    assert _value(counting, computed, fresh) == 42 and counting.calls == calls


def test_nothing_is_remembered_when_the_scope_moved_during_the_request(counting):
    computed = []
    stale = core_cache.current_tokens(["v:x"])
    core_cache.bump("v:x")  # a write lands between the request's token read and its count
    assert _value(counting, computed, stale) == 41
    assert core_cache._LOCAL_VALUES == {}
    calls = counting.calls
    assert _value(counting, computed, stale) == 41 and counting.calls > calls  # asks the shared cache again


def test_a_full_memory_starts_over(counting, monkeypatch):
    monkeypatch.setattr(core_cache, "_LOCAL_VALUES_MAX", 2)
    tokens = core_cache.current_tokens(["v:x"])
    for part in "abc":
        _value(counting, [], tokens, parts=(part,))
    assert len(core_cache._LOCAL_VALUES) == 1


def test_a_remembered_value_expires_with_the_shared_entry(counting, monkeypatch, settings):
    """Should a bump be lost, the memory is no longer-lived than the shared entry (``PUBLIC_CACHE_SECONDS``)."""
    computed = []
    tokens = core_cache.current_tokens(["v:x"])
    now = [1000.0]
    monkeypatch.setattr(core_cache.time, "monotonic", lambda: now[0])
    assert _value(counting, computed, tokens) == 41
    now[0] += settings.PUBLIC_CACHE_SECONDS - 1
    calls = counting.calls
    assert _value(counting, computed, tokens) == 41 and counting.calls == calls
    now[0] += 2
    assert _value(counting, computed, tokens) == 41 and counting.calls > calls  # asks the shared cache again


def test_a_bump_on_redis_is_one_command_that_the_cache_reads_back_without_expiry(monkeypatch):
    """Through django-redis, new tokens are one MSET: read back by ``cache.get_many`` (same keys, same encoding),
    and like ``set_many(timeout=None)`` they never expire."""
    import uuid

    from django_redis.cache import RedisCache
    from redis.exceptions import ConnectionError as RedisConnectionError

    backend = RedisCache("redis://127.0.0.1:6379/15", {"OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient"},
                                                      "KEY_PREFIX": f"bump-{uuid.uuid4().hex}"})
    try:
        backend.client.get_client(write=True).ping()
    except RedisConnectionError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    monkeypatch.setattr(core_cache, "cache", backend)
    raw = backend.client.get_client(write=True)
    commands = []
    original = raw.execute_command

    def counted(*args, **kwargs):
        commands.append(args[0])
        return original(*args, **kwargs)

    monkeypatch.setattr(raw, "execute_command", counted)
    scopes = ["v:catalog", "v:storefront:1", "v:storefront:2"]
    before = core_cache.current_tokens(scopes)
    commands.clear()
    core_cache.bump(*scopes, "v:catalog", "")  # repeated and empty scopes are ignored
    assert commands == ["MSET"]
    after = backend.get_many(scopes)
    assert set(after) == set(scopes)
    assert all(after[scope] != before[scope] and len(after[scope]) == 16 for scope in scopes)
    assert all(backend.ttl(scope) is None for scope in scopes)  # no expiry
    assert core_cache.current_tokens(scopes) == after
    backend.delete_many(scopes)
