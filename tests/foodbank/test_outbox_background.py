"""Web processes send the outbox's messages from a background thread, in batches
(``foodbank.outbox.send_in_background``, called by ``gunicorn.conf.py``; docs/benchmarks.md): the
answer does not wait for the broker, nothing committed is lost, and a real worker runs what was
sent."""

import os
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from celery.signals import before_task_publish
from django.db import connection, transaction
from django.utils import timezone

from foodbank import outbox
from foodbank.models import OutboxMessage, WorkerHeartbeat
from foodbank.tasks import heartbeat_task
from referrals.models import DeliveryRequest
from tests.helpers import broker_unreachable, is_postgres, wait_for
from tests.referrals.factories import body as request_body

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not is_postgres(), reason="web processes send in the background on PostgreSQL only"),
]

ROOT = Path(__file__).resolve().parents[2]
HEARTBEAT = heartbeat_task.name


@pytest.fixture
def background():
    sender = outbox.send_in_background()
    assert sender is not None
    yield sender
    outbox.send_in_the_committing_thread()


@pytest.fixture
def published():
    """The tasks this process hands to the broker, as Celery publishes them: (name, kwargs, thread)."""
    sent: list[tuple[str, dict, str]] = []

    def record(sender=None, body=None, **_):
        sent.append((sender, body[1], threading.current_thread().name))

    before_task_publish.connect(record, weak=False)
    yield sent
    before_task_publish.disconnect(record)


def _beat_exists(queue: str) -> bool:
    return WorkerHeartbeat.objects.filter(queue=queue).exists()


def test_a_batch_is_one_claim_one_send_per_distinct_task_and_one_mark(celery_worker, published):
    # Given four committed messages, three of them the same task with the same arguments, and one
    # a relay has claimed
    together = [
        OutboxMessage.objects.create(task_name=HEARTBEAT, kwargs={"queue": "together"}) for _ in range(3)
    ]
    apart = OutboxMessage.objects.create(task_name=HEARTBEAT, kwargs={"queue": "apart"})
    claimed_until = timezone.now() + timedelta(seconds=30)
    taken = OutboxMessage.objects.create(
        task_name=HEARTBEAT, kwargs={"queue": "taken"}, claimed_until=claimed_until, attempts=1
    )

    # When they are sent as one batch
    batch = [(m.pk, (m.task_name, m.kwargs)) for m in [*together, apart, taken]]
    sent = outbox.send_batch(batch)

    # Then the four are sent with two tasks, and the claimed one is left to its claimant
    assert sent == 4
    assert sorted(kwargs["queue"] for _name, kwargs, _thread in published) == ["apart", "together"]
    for message in [*together, apart]:
        message.refresh_from_db()
        assert (message.sent_at is not None, message.attempts, message.claimed_until) == (True, 1, None)
    taken.refresh_from_db()
    assert (taken.sent_at, taken.attempts, taken.claimed_until) == (None, 1, claimed_until)
    # and the worker runs both tasks
    wait_for(lambda: _beat_exists("together") and _beat_exists("apart"), message="the batch's tasks")
    assert not _beat_exists("taken")


def _by_thread(published, thread: str) -> list[tuple[str, dict]]:
    return [(name, kwargs) for name, kwargs, sent_by in published if sent_by == thread]


def test_a_filing_is_answered_and_its_announcement_sent_from_the_background(
    celery_worker, background, published, case_worker_a, api
):
    # When a case worker files a request in a web process that sends in the background
    response = api(case_worker_a).post("/api/v1/delivery-requests/", request_body(), format="json")
    assert response.status_code == 201, response.content

    # Then its announcement is sent, by the sender's thread, not by the one that answered
    assert background.wait_idle(timeout=30)
    message = OutboxMessage.objects.get()
    assert message.sent_at is not None
    assert _by_thread(published, "outbox-sender") == [("webhooks.fan_out", {})]
    assert _by_thread(published, threading.current_thread().name) == []
    assert DeliveryRequest.objects.filter(pk=response.json()["id"]).exists()


def test_a_refused_filing_queues_nothing(background, published, case_worker_a, api):
    # When a filing without consent to share is refused in a web process that sends in the background
    refused = request_body(consent__share_with_foodbank=False)
    response = api(case_worker_a).post("/api/v1/delivery-requests/", refused, format="json")

    # Then the case worker is told which consent is missing, and nothing is written or sent
    assert response.status_code == 400
    assert "share_with_foodbank" in response.json()["consent"]
    assert background.wait_idle(timeout=5)
    assert published == []
    assert not OutboxMessage.objects.exists()
    assert not DeliveryRequest.objects.exists()


def test_messages_committed_together_go_as_one_task_each(celery_worker, background, published):
    # When one transaction schedules the same task three times and another once
    with transaction.atomic():
        for _ in range(3):
            outbox.enqueue(heartbeat_task, queue="same")
        outbox.enqueue(heartbeat_task, queue="other")

    # Then the sender's thread sends two tasks for the four messages, and marks the four sent
    assert background.wait_idle(timeout=30)
    sent = sorted(kwargs["queue"] for _name, kwargs in _by_thread(published, "outbox-sender"))
    assert sent == ["other", "same"]
    assert _by_thread(published, threading.current_thread().name) == []
    assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 0
    assert OutboxMessage.objects.count() == 4
    wait_for(lambda: _beat_exists("same") and _beat_exists("other"), message="the two tasks")


def test_messages_committed_one_after_another_are_all_sent_and_run(celery_worker, background, published):
    # When ten transactions each schedule a task
    queues = [f"background-{i}" for i in range(10)]
    for queue in queues:
        with transaction.atomic():
            outbox.enqueue(heartbeat_task, queue=queue)

    # Then every message is sent once, by the sender's thread, and every task runs
    assert background.wait_idle(timeout=30)
    assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 0
    assert set(OutboxMessage.objects.values_list("attempts", flat=True)) == {1}
    assert sorted(k["queue"] for _n, k in _by_thread(published, "outbox-sender")) == sorted(queues)
    wait_for(lambda: all(_beat_exists(q) for q in queues), message="the ten tasks")


def test_after_a_quiet_spell_a_message_goes_at_once(celery_worker, background, published, monkeypatch):
    # Given a sender that would gather messages for a whole minute after a batch's first, and has
    # sent nothing yet
    monkeypatch.setattr(outbox, "BATCH_LINGER", 60)

    # When one transaction schedules a task
    with transaction.atomic():
        outbox.enqueue(heartbeat_task, queue="alone")

    # Then it is sent at once, not held back for others that are not coming
    assert background.wait_idle(timeout=20), "the message waited for the linger"
    assert _by_thread(published, "outbox-sender") == [(HEARTBEAT, {"queue": "alone"})]
    wait_for(lambda: _beat_exists("alone"), message="the task")


def test_under_load_messages_committed_just_after_a_send_are_gathered(
    celery_worker, background, published, monkeypatch
):
    # Given a sender that has just sent a message, and gathers for two seconds under load
    monkeypatch.setattr(outbox, "BATCH_LINGER", 2)
    with transaction.atomic():
        outbox.enqueue(heartbeat_task, queue="load")
    assert background.wait_idle(timeout=20)

    # When three more transactions schedule the same task right after
    for _ in range(3):
        with transaction.atomic():
            outbox.enqueue(heartbeat_task, queue="load")

    # Then the three go together, as one task, and every message is marked sent
    assert background.wait_idle(timeout=20)
    assert _by_thread(published, "outbox-sender") == [(HEARTBEAT, {"queue": "load"})] * 2
    assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 0
    assert OutboxMessage.objects.count() == 4


def test_the_broker_down_leaves_the_message_for_the_relay(celery_worker, background):
    # Given the broker is unreachable when the sender sends
    with broker_unreachable():
        with transaction.atomic():
            outbox.enqueue(heartbeat_task, queue="relayed")
        assert background.wait_idle(timeout=30)

    # Then the message is kept unsent, with the error
    message = OutboxMessage.objects.get()
    assert (message.sent_at, message.attempts, message.claimed_until) == (None, 1, None)
    assert message.last_error

    # When the broker is back and the relay runs, the task runs, once
    assert outbox.relay(min_age_seconds=0) == 1
    wait_for(lambda: _beat_exists("relayed"), message="the relayed task")
    assert outbox.relay(min_age_seconds=0) == 0


def test_a_gunicorn_worker_sends_in_the_background_and_sends_what_is_queued_before_it_exits(
    celery_worker, settings
):
    # Given a process that loads the application and runs gunicorn's hook for a worker that has
    # (gunicorn.conf.py), then schedules a task in a transaction and exits at once
    script = (
        "import runpy\n"
        "from django.core.wsgi import get_wsgi_application\n"
        "get_wsgi_application()\n"
        "runpy.run_path('gunicorn.conf.py')['post_worker_init'](None)\n"
        "import gc\n"
        "from django.db import transaction\n"
        "from foodbank import outbox\n"
        "assert outbox._background_sender is not None, 'the worker sends in the background'\n"
        "assert gc.get_freeze_count() > 0, 'what the worker loaded is frozen'\n"
        "with transaction.atomic():\n"
        "    outbox.enqueue('foodbank.tasks.heartbeat_task', queue='at-exit')\n"
    )
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    env = {
        **os.environ,
        # This run's settings and queue (the worker's), on its test database
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "TEST_RUN_ID": settings.TEST_RUN_ID,
        "DATABASE_URL": (
            f"postgres://{db.get('USER') or 'postgres'}{password}@{db.get('HOST') or '127.0.0.1'}:"
            f"{db.get('PORT') or 5432}/{db['NAME']}"
        ),
    }
    run = subprocess.run(  # noqa: S603 (the interpreter running the tests, a fixed script)
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr[-3000:]

    # Then the message was sent before the process ended, and the task runs
    message = OutboxMessage.objects.get()
    assert message.sent_at is not None
    wait_for(lambda: _beat_exists("at-exit"), message="the task sent at exit")
