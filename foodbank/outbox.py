"""A transactional outbox for Celery tasks.

``enqueue(task, **kwargs)`` writes the task into the same transaction as the change that needs it
and sends it to the broker right after commit. A rollback leaves neither row nor task. When the
broker is down at commit time the row stays unsent and ``relay_outbox_task`` (beat, every 30 s)
sends it later, so no follow-up work is lost. A message may be sent twice (a crash between send and
bookkeeping), so every task must be idempotent; that is the project's rule for tasks anyway.

In a web process on PostgreSQL (gunicorn's ``post_worker_init`` in ``gunicorn.conf.py`` calls
``send_in_background``) the send after commit is handed to a thread of the process instead, so the
answer does not wait for the broker, and messages committed within a moment of each other are sent
together (``send_batch``, docs/benchmarks.md). Messages with the same task and arguments are then
sent as one task: so a task must also do, in one run after several commits, the work each of them
scheduled it for (it reads what is new, or reschedules itself while work is left). Every task sent
through the outbox today does (docs/benchmarks.md).
"""

import atexit
import functools
import json
import logging
import math
import os
import queue
import threading
import time
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
    values, never model instances or personal data. Messages with the same task and arguments
    committed within a moment of each other may be sent as one task (``send_batch``): one run
    must do the work of them all.
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
    transaction.on_commit(lambda: _after_commit(pk, task))


def _after_commit(pk: int, task: tuple[str, dict]) -> None:
    sender = _background_sender
    if sender is None:
        send_message(pk, task=task)
    else:
        sender.put(pk, task)


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
def _claim_sql(*, many: bool = False) -> str:
    """The claim of one message (its id), or of ``many`` (an array of ids, answering those claimed:
    ``send_batch``, PostgreSQL)."""
    qn = connection.ops.quote_name
    return (
        f"UPDATE {qn(OutboxMessage._meta.db_table)} "  # noqa: S608
        f"SET claimed_until = %s, attempts = attempts + 1 WHERE {_ids(many)} AND sent_at IS NULL "
        "AND attempts < %s AND (claimed_until IS NULL OR claimed_until < %s)"
        + (" RETURNING id" if many else "")
    )


@functools.cache
def _sent_sql(*, many: bool = False) -> str:
    qn = connection.ops.quote_name
    return (
        f"UPDATE {qn(OutboxMessage._meta.db_table)} "  # noqa: S608
        f"SET sent_at = %s, claimed_until = NULL, last_error = '' WHERE {_ids(many)}"
    )


def _ids(many: bool) -> str:
    return "id = ANY(%s)" if many else "id = %s"


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
        _release([pk], name, exc)
        return False
    with connection.cursor() as cursor:
        cursor.execute(_sent_sql(), [connection.ops.adapt_datetimefield_value(timezone.now()), pk])
    return True


def _release(pks: list[int], name: str, exc: Exception) -> None:
    """The broker refused claimed messages: free them, with the error, for the relay."""
    logger.warning("Outbox messages %s (%s) not sent: %r", pks, name, exc)
    OutboxMessage.objects.filter(pk__in=pks).update(claimed_until=None, last_error=repr(exc)[:500])


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


# --- Sending in the background (web processes) ----------------------------------------------------

# A batch is one claim, one send per distinct task and one mark; bounded so that a backlog after a
# pause goes out in steps.
BATCH_MAX = 200
# How long the sender gathers messages after the first of a batch (seconds), when it sent a batch
# less than this long ago: under load, fewer sends against a task's delay. After a quiet spell the
# first message goes at once, with whatever is already queued.
BATCH_LINGER = 0.05


def send_batch(messages: "list[tuple[int, tuple[str, dict]]]") -> int:
    """Claim and send messages just committed, each ``(id, (task name, kwargs))``; returns how
    many were sent (PostgreSQL). One claim and one mark for them all, and one send for each distinct
    task name and arguments: every message of the batch was committed before the send, so the one
    run of the task starts after all of them, and a task does in one run the work of several
    messages (the module's rule). A filing's announcement (``webhooks.fan_out``, no arguments: it
    reads the events written since its last run) is such a message. Messages another sender claimed
    (the relay) are left to it; a send the broker refuses leaves its messages for the relay."""
    if not messages:
        return 0
    now = timezone.now()
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(
            _claim_sql(many=True),
            [
                adapt(now + timedelta(seconds=CLAIM_SECONDS)),
                [pk for pk, _task in messages],
                MAX_ATTEMPTS,
                adapt(now),
            ],
        )
        claimed = {pk for (pk,) in cursor.fetchall()}
    tasks: dict[tuple[str, str], tuple[str, dict, list[int]]] = {}
    for pk, (name, kwargs) in messages:
        if pk in claimed:
            key = (name, json.dumps(kwargs, sort_keys=True))
            tasks.setdefault(key, (name, kwargs, []))[2].append(pk)
    sent: list[int] = []
    for name, kwargs, pks in tasks.values():
        try:
            app.send_task(name, kwargs=kwargs, retry=False, **_send_options(name))
        except Exception as exc:
            _release(pks, name, exc)
            continue
        sent.extend(pks)
    if sent:
        with connection.cursor() as cursor:
            cursor.execute(_sent_sql(many=True), [adapt(timezone.now()), sent])
    return len(sent)


_STOP = object()


class BackgroundSender:
    """A thread of this process that sends the messages handed to it (``put``) in batches
    (``send_batch``): under load, what is committed within ``BATCH_LINGER`` of a batch's first
    message, or while the thread is sending, goes out together; after a quiet spell (no send for
    ``BATCH_LINGER``) a message goes at once, with what is already queued. Started on first use
    (a forked child starts its own) and drained when the process exits; a message it never sends
    (the process killed) stays unsent in its table, and the relay sends it. The thread keeps one
    database connection of its own."""

    def __init__(self) -> None:
        self._forget()
        atexit.register(self.stop)
        os.register_at_fork(after_in_child=self._forget)

    def _forget(self) -> None:
        """A new process (or a forked child, whose parent's thread did not follow it): nothing queued."""
        self._lock = threading.Condition()
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._unfinished = 0
        self._last_send = -math.inf  # time.monotonic() when the last batch was sent

    def put(self, pk: int, task: tuple[str, dict]) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="outbox-sender", daemon=True)
                self._thread.start()
            self._unfinished += 1
        self._queue.put((pk, task))

    def _run(self) -> None:
        while True:
            batch, stop = [], False
            item = self._queue.get()
            # Under load, gather what is committed in the next moment too (a send per message cost
            # a filing a fifth of its CPU, docs/benchmarks.md). After a quiet spell there is nothing
            # to gather: waiting would only delay the task. Past the deadline, take what is already
            # queued without waiting. Stop at once at exit.
            now = time.monotonic()
            deadline = now + BATCH_LINGER if now - self._last_send < BATCH_LINGER else now
            while item is not _STOP:
                batch.append(item)
                if len(batch) >= BATCH_MAX:
                    break
                wait = deadline - time.monotonic()
                try:
                    item = self._queue.get(timeout=wait) if wait > 0 else self._queue.get_nowait()
                except queue.Empty:
                    break
            else:
                stop = True
            try:
                self._send(batch)
            finally:
                self._last_send = time.monotonic()
                with self._lock:
                    self._unfinished -= len(batch)
                    self._lock.notify_all()
            if stop:
                connection.close()
                return

    @staticmethod
    def _send(batch: list) -> None:
        try:
            send_batch(batch)
        except Exception:
            # The database down, say: the messages stay unsent and the relay sends them. The
            # connection may be broken: the next batch opens a new one.
            logger.exception("Outbox messages %s not sent in the background", [pk for pk, _task in batch])
            connection.close()

    def wait_idle(self, timeout: float) -> bool:
        """Whether everything put so far was handled within ``timeout`` seconds."""
        with self._lock:
            return self._lock.wait_for(lambda: self._unfinished == 0, timeout)

    def stop(self, timeout: float = 10.0) -> None:
        """Send what is queued, then end the thread (at exit)."""
        thread = self._thread
        if thread is not None and thread.is_alive():
            self._queue.put(_STOP)
            thread.join(timeout)


_background_sender: BackgroundSender | None = None


def send_in_background() -> BackgroundSender | None:
    """Send messages after commit from a background thread of this process (web processes on
    PostgreSQL: ``gunicorn.conf.py``); returns the sender, or None where messages stay sent in the
    committing thread (SQLite, whose one writer at a time the thread would wait on, and where
    ``send_batch``'s ``= ANY`` does not exist)."""
    global _background_sender
    if connection.vendor == "postgresql" and _background_sender is None:
        _background_sender = BackgroundSender()
    return _background_sender


def send_in_the_committing_thread() -> None:
    """Undo ``send_in_background`` (tests): drain the sender, then send after commit as before."""
    global _background_sender
    sender, _background_sender = _background_sender, None
    if sender is not None:
        sender.stop()
