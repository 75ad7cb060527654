"""A transactional outbox for Celery tasks.

``enqueue(task, **kwargs)`` writes the task into the same transaction as the change that needs it
and sends it to the broker right after commit. A rollback leaves neither row nor task. When the
broker is down at commit time the row stays unsent and ``relay_outbox_task`` (beat, every 30 s)
sends it later, so no follow-up work is lost. A message may be sent twice (a crash between send and
bookkeeping), so every task must be idempotent; that is the project's rule for tasks anyway.
"""

import functools
import logging
from datetime import timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from . import locks
from .celery import app
from .models import OutboxMessage

logger = logging.getLogger(__name__)

CLAIM_SECONDS = 60
# A message that failed this many sends is left for a human (a poison message must not loop).
MAX_ATTEMPTS = 50


def enqueue(task, /, **kwargs) -> OutboxMessage:
    """Schedule ``task`` (a Celery task or its name) with JSON-serialisable ``kwargs`` after commit.

    Call it inside the transaction that makes the task necessary. Arguments are ids and plain
    values, never model instances or personal data.
    """
    message = build(task, **kwargs)
    message.save(force_insert=True)
    send_after_commit(message)
    return message


def build(task, /, **kwargs) -> OutboxMessage:
    """``enqueue``'s message, not saved: for a caller that writes it in a statement of its own with
    other rows (a delivery request's filing, docs/benchmarks.md). Once it is written, in the same
    transaction, call ``send_after_commit`` with it."""
    return OutboxMessage(task_name=task if isinstance(task, str) else task.name, kwargs=kwargs)


def send_after_commit(message: OutboxMessage) -> None:
    """Send a message just written after the transaction commits (nothing on a rollback)."""
    # The task's name and arguments are in hand: after commit only the claim and the mark of
    # sending touch the row (a delivery request's hot path, docs/benchmarks.md).
    pk, task = message.pk, (message.task_name, message.kwargs)
    transaction.on_commit(lambda: send_message(pk, task=task))


def _claimable(now) -> Q:
    return Q(sent_at__isnull=True, attempts__lt=MAX_ATTEMPTS) & (
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    )


def send_message(pk: int, *, task: tuple[str, dict] | None = None) -> bool:
    """Claim one message and send it; returns whether it went to the broker. ``task``: its name
    and arguments when the caller has them (``enqueue``), saving the read of the row."""
    now = timezone.now()
    # Plain SQL built once (the same conditions as _claimable): compiling the ORM's UPDATE cost more
    # CPU than running it, on every delivery request filed (docs/benchmarks.md).
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(
            _claim_sql(), [adapt(now + timedelta(seconds=CLAIM_SECONDS)), pk, MAX_ATTEMPTS, adapt(now)]
        )
        claimed = cursor.rowcount
    if not claimed:
        return False
    return _send_claimed(pk, task=task)


@functools.cache
def _claim_sql() -> str:
    qn = connection.ops.quote_name
    return (
        f"UPDATE {qn(OutboxMessage._meta.db_table)} "  # noqa: S608
        "SET claimed_until = %s, attempts = attempts + 1 WHERE id = %s AND sent_at IS NULL "
        "AND attempts < %s AND (claimed_until IS NULL OR claimed_until < %s)"
    )


@functools.cache
def _sent_sql() -> str:
    qn = connection.ops.quote_name
    return (
        f"UPDATE {qn(OutboxMessage._meta.db_table)} "  # noqa: S608
        "SET sent_at = %s, claimed_until = NULL, last_error = '' WHERE id = %s"
    )


@functools.cache
def _send_options(name: str) -> dict[str, Any]:
    """``ignore_result`` for a task that ignores its result anyway, as the worker would (the message's
    value then equals the task's own); nothing for the others, whose messages are sent as before.
    Sent by name, Celery cannot tell: it subscribes to the task's result on the result backend for
    every message sent, then unsubscribes, two commands to Redis and about a quarter of the send's
    CPU (docs/benchmarks.md), for a result the outbox never reads."""
    # A web process has not imported the apps' tasks modules (the worker has): import them once, as
    # the worker's autodiscovery does, without its start-up checks.
    app.autodiscover_tasks(force=True)
    registered = app.tasks.get(name)
    return {"ignore_result": True} if registered is not None and registered.ignore_result else {}


def _send_claimed(pk: int, *, task: tuple[str, dict] | None = None) -> bool:
    if task is None:
        message = OutboxMessage.objects.only("task_name", "kwargs").get(pk=pk)
        task = (message.task_name, message.kwargs)
    name, kwargs = task
    # The broker down or refusing, or (_send_options) a tasks module that would not import: the
    # relay tries again later.
    try:
        app.send_task(name, kwargs=kwargs, retry=False, **_send_options(name))
    except Exception as exc:
        logger.warning("Outbox message %s (%s) not sent: %r", pk, name, exc)
        OutboxMessage.objects.filter(pk=pk).update(claimed_until=None, last_error=repr(exc)[:500])
        return False
    with connection.cursor() as cursor:
        cursor.execute(_sent_sql(), [connection.ops.adapt_datetimefield_value(timezone.now()), pk])
    return True


def relay(*, limit: int = 500, min_age_seconds: int = 5) -> int:
    """Send unsent messages older than ``min_age_seconds``; returns how many were sent.

    Claims a batch with ``SELECT … FOR UPDATE SKIP LOCKED`` so that several relays (two beat
    processes, a manual run) never claim the same message.
    """
    now = timezone.now()
    with transaction.atomic():
        pks = locks.lock_free_outbox_messages(
            _claimable(now) & Q(created_at__lt=now - timedelta(seconds=min_age_seconds)), limit=limit
        )
        OutboxMessage.objects.filter(pk__in=pks).update(
            claimed_until=now + timedelta(seconds=CLAIM_SECONDS), attempts=F("attempts") + 1
        )
    return sum(_send_claimed(pk) for pk in pks)


def purge_sent(*, older_than_days: int = 7) -> int:
    cutoff = timezone.now() - timedelta(days=older_than_days)
    deleted, _ = OutboxMessage.objects.filter(sent_at__lt=cutoff).delete()
    return deleted
