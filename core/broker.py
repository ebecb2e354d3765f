"""Publishing Celery tasks: the errors that mean the broker is down or unreachable.

A task enqueued after commit (``transaction.on_commit``) must not turn a committed change into a 500
when Redis is away; callers catch ``BROKER_ERRORS``, log, and go on.
"""
from kombu.exceptions import KombuError
from redis.exceptions import RedisError

BROKER_ERRORS = (KombuError, RedisError, ConnectionError, TimeoutError)
