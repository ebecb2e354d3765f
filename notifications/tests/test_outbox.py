"""The notification outbox (notifications.outbox): after the commit a notification costs one RPUSH; the flush
renders the events in the worker in arrival order, loses none when it dies half-way, and hands a failing one to
the retrying task. Needs a Redis (``TEST_REDIS_URL``, default database 5 on loopback); each test uses a key of its
own, deleted afterwards."""
import logging
from unittest import mock

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from analytics.tests.factories import make_order
from core.notifications import notify
from notifications import outbox
from notifications.tasks import enqueue_notification, flush_notifications, send_notification
from tests.factories import CustomerFactory, EntrepreneurFactory, ProductFactory, SupplierFactory
from tests.redis_lists import redis_list_fixture

pytestmark = pytest.mark.django_db


boxed = redis_list_fixture(url_setting="NOTIFICATIONS_OUTBOX_URL", key_setting="NOTIFICATIONS_OUTBOX_KEY",
                           name="notifications")


@pytest.fixture
def order():
    customer = CustomerFactory(email="buyer@example.com")
    shop = EntrepreneurFactory(user__email="shop@example.com")
    supplier = SupplierFactory(user__email="supplier@example.com")
    product = ProductFactory(supplier=supplier)
    return make_order(entrepreneur=shop, lines=[(product, 1, "1500.00")], created_at=timezone.now(), customer=customer)


def recorder():
    seen = []
    return seen, (lambda event, ids: seen.append((event, ids)))


def test_the_outbox_is_the_brokers_redis_unless_tasks_run_eagerly_or_it_is_set(settings):
    del settings.NOTIFICATIONS_OUTBOX_URL
    settings.CELERY_TASK_ALWAYS_EAGER, settings.CELERY_BROKER_URL = False, "redis://broker:6379/0"
    assert outbox.outbox_url() == "redis://broker:6379/0"
    settings.CELERY_BROKER_URL = "amqp://guest@rabbit//"
    assert outbox.outbox_url() == ""  # not Redis: no outbox
    settings.CELERY_TASK_ALWAYS_EAGER, settings.CELERY_BROKER_URL = True, "redis://broker:6379/0"
    assert outbox.outbox_url() == ""  # eager (the embedded default, tests): the task runs at once
    settings.NOTIFICATIONS_OUTBOX_URL = "redis://other:6379/2"
    assert outbox.outbox_url() == "redis://other:6379/2"
    settings.NOTIFICATIONS_OUTBOX_URL = ""
    assert outbox.outbox_url() == ""


def test_without_an_outbox_the_task_is_published_at_once(settings, order, django_capture_on_commit_callbacks):
    settings.NOTIFICATIONS_OUTBOX_URL = ""
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        notify("order_placed", order_id=order.pk)
    assert sorted(m.to[0] for m in mail.outbox) == ["shop@example.com", "supplier@example.com"]
    assert outbox.notifications_flush(render=send_notification.run, publish=send_notification.delay) == 0


def test_after_the_commit_a_notification_is_one_push_and_the_flush_sends_it(boxed, order,
                                                                             django_capture_on_commit_callbacks):
    client, key = boxed
    with mock.patch.object(send_notification, "delay") as published:
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            notify("order_placed", order_id=order.pk)
            assert client.llen(key) == 0  # nothing before the commit
        assert not published.called
    assert client.llen(key) == 1 and mail.outbox == []
    assert outbox.notifications_pending() == 1

    assert flush_notifications() == 1
    assert sorted(m.to[0] for m in mail.outbox) == ["shop@example.com", "supplier@example.com"]
    assert outbox.notifications_pending() == 0
    assert flush_notifications() == 0  # nothing twice


def test_nothing_is_pushed_when_the_transaction_rolls_back(boxed, order, django_capture_on_commit_callbacks):
    client, key = boxed
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            notify("order_placed", order_id=order.pk)
            raise RuntimeError("rolled back")
    assert client.llen(key) == 0


def test_the_flush_renders_in_arrival_order_and_at_most_max_items(boxed):
    for n in range(5):
        enqueue_notification("order_paid", {"order_id": n})
    seen, render = recorder()
    assert outbox.notifications_flush(render=render, publish=None, max_items=3) == 3
    assert outbox.notifications_flush(render=render, publish=None) == 2
    assert seen == [("order_paid", {"order_id": n}) for n in range(5)]


def test_an_event_that_fails_to_render_is_published_as_the_retrying_task(boxed, caplog):
    enqueue_notification("order_paid", {"order_id": 1})
    enqueue_notification("order_paid", {"order_id": 2})
    published, publish = recorder()

    def render(event, ids):
        if ids["order_id"] == 1:
            raise ConnectionError("database away")

    with caplog.at_level(logging.WARNING):
        assert outbox.notifications_flush(render=render, publish=publish) == 2
    assert published == [("order_paid", {"order_id": 1})]
    assert "could not be rendered" in caplog.text
    assert outbox.notifications_pending() == 0


def test_a_flush_that_cannot_render_nor_publish_keeps_the_event_for_the_next_one(boxed):
    client, key = boxed
    for n in range(3):
        enqueue_notification("order_paid", {"order_id": n})

    def broken(event, ids):
        raise ConnectionError("everything is away")

    assert outbox.notifications_flush(render=broken, publish=broken) == 0
    assert client.llen(f"{key}:inflight") == 1 and client.llen(key) == 2  # one in flight, two never taken
    seen, render = recorder()
    assert outbox.notifications_flush(render=render, publish=None) == 3
    assert seen == [("order_paid", {"order_id": n}) for n in range(3)]  # the one in flight first, order kept


def test_a_flush_that_died_half_way_is_finished_by_the_next_and_loses_nothing(boxed):
    client, key = boxed
    for n in range(3):
        enqueue_notification("order_paid", {"order_id": n})
    client.lmove(key, f"{key}:inflight", "LEFT", "RIGHT")  # taken by a worker killed before it was rendered
    seen, render = recorder()
    assert outbox.notifications_flush(render=render, publish=None) == 3
    assert [ids["order_id"] for _event, ids in seen] == [0, 1, 2]
    assert outbox.notifications_pending() == 0


def test_one_flusher_at_a_time(boxed):
    client, key = boxed
    enqueue_notification("order_paid", {"order_id": 1})
    client.set(f"{key}:flush-lock", "someone-else", ex=60)
    seen, render = recorder()
    assert outbox.notifications_flush(render=render, publish=None) == 0
    assert seen == [] and client.get(f"{key}:flush-lock") == b"someone-else"  # another's lock is left alone
    client.delete(f"{key}:flush-lock")
    assert outbox.notifications_flush(render=render, publish=None) == 1
    assert not client.exists(f"{key}:flush-lock")


def test_an_unreadable_item_is_dropped_without_logging_its_content(boxed, caplog):
    client, key = boxed
    client.rpush(key, b"not json with a code 123456", b'{"event": 5, "ids": {}}')
    enqueue_notification("order_paid", {"order_id": 7})
    seen, render = recorder()
    with caplog.at_level(logging.WARNING):
        assert outbox.notifications_flush(render=render, publish=None) == 3
    assert seen == [("order_paid", {"order_id": 7})]
    assert caplog.text.count("unreadable notification outbox item") == 2 and "123456" not in caplog.text


def test_when_redis_refuses_the_push_the_task_is_published(settings, order):
    settings.NOTIFICATIONS_OUTBOX_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    with mock.patch.object(send_notification, "delay") as published:
        enqueue_notification("order_placed", {"order_id": order.pk})
    published.assert_called_once_with("order_placed", {"order_id": order.pk})


def test_placing_an_order_puts_its_notification_in_the_outbox(boxed, api_client, django_capture_on_commit_callbacks):
    from orders.tests.factories import VALID_ADDRESS, make_store

    client, key = boxed
    store = make_store(stock_quantity=5)
    api_client.force_authenticate(CustomerFactory())
    body = {"entrepreneur_custom_url": store.custom_url, "shipping_address": dict(VALID_ADDRESS),
            "items": [{"product_id": store.product.pk, "quantity": 1}]}
    with mock.patch.object(send_notification, "delay") as published:
        with django_capture_on_commit_callbacks(execute=True):
            response = api_client.post("/api/orders/orders/", body, format="json")
    assert response.status_code == 201, response.content
    assert not published.called and client.llen(key) == 1
    assert flush_notifications() == 1
    assert mail.outbox, "the order_placed messages are sent by the flush"


def test_the_command_and_the_beat_job(boxed, settings, capsys):
    from payjaro_project.celery import app as celery_app

    entry = settings.CELERY_BEAT_SCHEDULE["flush-notifications"]
    assert entry["task"] == flush_notifications.name and entry["task"] in celery_app.tasks
    enqueue_notification("order_paid", {"order_id": 987654})  # a deleted order: rendered, nothing to send
    call_command("flush_notifications")
    assert "1 notifications handed over, 0 still waiting." in capsys.readouterr().out
    settings.NOTIFICATIONS_OUTBOX_URL = ""
    call_command("flush_notifications")
    assert "No notification outbox" in capsys.readouterr().out


def test_the_bound_counts_what_was_left_in_flight_and_moves_nothing_past_it(boxed):
    client, key = boxed
    for n in range(4):
        enqueue_notification("order_paid", {"order_id": n})
    client.lmove(key, f"{key}:inflight", "LEFT", "RIGHT")  # left in flight by a flush that died
    seen, render = recorder()
    assert outbox.notifications_flush(render=render, publish=None, max_items=2) == 2
    assert [ids["order_id"] for _event, ids in seen] == [0, 1]
    assert client.llen(f"{key}:inflight") == 0 and client.llen(key) == 2  # the rest still waits in the outbox
