"""Tasks go through the transactional outbox and a real worker (no eager mode)."""

import pytest
from django.db import transaction

from foodbank import outbox
from foodbank.models import OutboxMessage, WorkerHeartbeat
from foodbank.tasks import heartbeat_task
from tests.helpers import broker_unreachable, wait_for

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def _beat_exists(queue: str) -> bool:
    return WorkerHeartbeat.objects.filter(queue=queue).exists()


def test_task_runs_after_commit_and_not_after_rollback(celery_worker):
    # Given a task scheduled inside a transaction that rolls back
    def enqueue_then_fail():
        with transaction.atomic():
            outbox.enqueue(heartbeat_task, queue="rolled-back")
            raise RuntimeError("abort")

    with pytest.raises(RuntimeError):
        enqueue_then_fail()

    # and one scheduled inside a transaction that commits
    with transaction.atomic():
        outbox.enqueue(heartbeat_task, queue="committed")
        # Then nothing runs before the commit
        assert not OutboxMessage.objects.filter(sent_at__isnull=False).exists()

    # Then the worker runs the committed one
    wait_for(lambda: _beat_exists("committed"), message="the committed task")
    assert OutboxMessage.objects.get().sent_at is not None
    # and the rolled-back one left no message and never ran: a marker task sent after it has run,
    # and the worker consumes in order.
    outbox.enqueue(heartbeat_task, queue="marker")
    wait_for(lambda: _beat_exists("marker"), message="the marker task")
    assert not _beat_exists("rolled-back")
    assert OutboxMessage.objects.count() == 2


def test_task_enqueued_while_the_broker_is_down_runs_once_it_is_back(celery_worker):
    # Given the broker is unreachable when the transaction commits
    with broker_unreachable(), transaction.atomic():
        outbox.enqueue(heartbeat_task, queue="delayed")

    # Then the work is kept, not lost
    message = OutboxMessage.objects.get()
    assert message.sent_at is None
    assert message.attempts == 1
    assert message.last_error

    # When the broker is back and the relay runs
    sent = outbox.relay(min_age_seconds=0)

    # Then the task runs, once
    assert sent == 1
    wait_for(lambda: _beat_exists("delayed"), message="the relayed task")
    assert outbox.relay(min_age_seconds=0) == 0


def test_every_beat_entry_can_be_scheduled(settings):
    """Beat sends each entry with apply_async, which refuses inconsistent time limits."""
    from foodbank.celery import app

    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        task = app.tasks[entry["task"]]
        soft = task.soft_time_limit or app.conf.task_soft_time_limit
        hard = task.time_limit or app.conf.task_time_limit
        assert soft is None or hard is None or soft <= hard, name


def test_tasks_running_at_once_are_all_done(celery_worker):
    """Four worker threads writing at once: on SQLite each waits for the write lock (IMMEDIATE
    transactions) instead of failing with "database is locked" and losing its task."""
    queues = [f"parallel-{i}" for i in range(8)]
    with transaction.atomic():
        for queue in queues:
            outbox.enqueue(heartbeat_task, queue=queue)

    wait_for(lambda: WorkerHeartbeat.objects.filter(queue__in=queues).count() == 8, message="all eight tasks")


def test_a_message_asks_to_ignore_the_result_only_of_a_task_that_ignores_it(celery_worker):
    """The outbox sends ``ignore_result`` for a task that ignores its result anyway (no subscription
    to a result it never reads, docs/benchmarks.md); a task that keeps its result still has it
    stored by the worker."""
    from celery.signals import before_task_publish

    from foodbank.celery import app

    sent: dict[str, dict] = {}

    def seen(sender=None, headers=None, **kwargs):
        sent[sender] = headers

    before_task_publish.connect(seen)
    try:
        with transaction.atomic():
            outbox.enqueue(heartbeat_task, queue="ignored")
            outbox.enqueue("referrals.tasks.escalate_referrals_task")
    finally:
        before_task_publish.disconnect(seen)

    assert heartbeat_task.ignore_result
    assert sent[heartbeat_task.name]["ignore_result"] is True
    kept = sent["referrals.tasks.escalate_referrals_task"]
    assert not kept["ignore_result"]
    assert app.AsyncResult(kept["id"]).get(timeout=30) == 0  # nothing to escalate, and stored
    wait_for(lambda: _beat_exists("ignored"), message="the heartbeat")
