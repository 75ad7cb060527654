"""One transaction for a service's work and the caller's bookkeeping, without a savepoint between.

``foodbank.idempotency`` runs a creating service inside its own transaction, so that the created
rows and the completion of the ``Idempotency-Key`` commit together. The service's own
``transaction.atomic()`` would then open a SAVEPOINT and RELEASE it: two more round trips to
PostgreSQL on every request, protecting nothing, since any exception the service raises rolls the
whole transaction back (and releases the key). A service whose whole body is one transaction uses
``service_transaction()`` instead: directly inside ``idempotent_work()`` it joins the caller's
transaction; anywhere else (another service, a task, a test) it is a plain ``atomic()``, savepoint
included, so a caller that catches its refusal inside a transaction of its own can go on.

``execute_then_commit()`` sends the last statement of a transaction and its ``COMMIT`` to PostgreSQL
in one round trip: the key's completion, and a handout's or a filing's one statement, which
completes the key itself when there is one (``foodbank.idempotency.completion_sql``). The window's
balance rows, on which 16 clients at one window queue, stay locked for no round trip of their own
(docs/benchmarks.md).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import connection, transaction

from .prepared import binds_client_side, pipeline

_joins_caller: ContextVar[bool] = ContextVar("foodbank_joins_caller", default=False)


@contextmanager
def idempotent_work() -> Iterator[None]:
    """Around the work, inside the caller's ``transaction.atomic()``: the caller promises to let any
    exception end (roll back) its whole transaction."""
    token = _joins_caller.set(True)
    try:
        yield
    finally:
        _joins_caller.reset(token)


@contextmanager
def service_transaction() -> Iterator[None]:
    """``transaction.atomic()``, without a savepoint when run directly as ``idempotent_work``."""
    join = _joins_caller.get()
    token = _joins_caller.set(False)  # whatever the service calls in turn keeps its savepoints
    try:
        with transaction.atomic(savepoint=not join):
            yield
    finally:
        _joins_caller.reset(token)


def execute_then_commit(sql: str, params: Any, *, completes_caller: bool = False) -> list[tuple]:
    """Run ``sql`` as the last statement of the outermost ``transaction.atomic()`` block around this
    call, and commit the transaction in the same round trip when that is safe: PostgreSQL, only
    this one ``atomic()`` block open, which began the transaction itself, and nothing marked for
    rollback. ``completes_caller``: ``sql`` also completes the ``Idempotency-Key`` of the caller
    whose work this is (``foodbank.idempotency.completion_sql``), which then writes nothing more,
    so the service's block joined to the caller's (``service_transaction``) may commit too. With
    client-side binding the two go as one execute (``…; COMMIT``), with server-side binding (the
    default, ``DB_PREPARED_STATEMENTS``) as one psycopg pipeline. Otherwise ``sql``
    simply runs and ``atomic()`` commits as usual (a test's transaction, a caller's own
    transaction, SQLite). Returns the statement's rows (none for a statement that answers none).

    The caller must leave the ``atomic()`` block right after this call, with nothing written in
    between: the work is committed. Leaving it is then cheap: psycopg skips the ``COMMIT`` of a
    connection whose transaction has ended, and Django runs the ``on_commit`` callbacks as usual.
    A caller may raise on what the rows say only when the statement then wrote nothing (a refused
    handout): Django's ``rollback()`` is skipped too, and the ``on_commit`` callbacks are dropped
    although the transaction committed. If the statement or the commit fails, nothing is committed
    and the exception propagates.
    """
    blocks, savepoints = len(connection.atomic_blocks), connection.savepoint_ids
    # The block that began the transaction alone, or (completes_caller) with the service's block
    # joined to it without a savepoint.
    alone = (blocks == 1 and not savepoints) or (completes_caller and blocks == 2 and savepoints == [None])
    fused = (
        connection.vendor == "postgresql"
        and connection.commit_on_exit  # the atomic() block began the transaction, not the caller
        and alone
        and not connection.needs_rollback
    )
    with connection.cursor() as cursor:
        if fused and not binds_client_side(connection):
            # Server-side binding: the statement and the COMMIT as one pipeline. The COMMIT is
            # queued as a statement (psycopg's commit() would sync the pipeline, then leaving it
            # syncs again); the rows are read after the pipeline's one Sync.
            with pipeline(connection):
                cursor.execute(sql, params)
                connection.connection.execute("COMMIT", prepare=False)
        else:
            cursor.execute(f"{sql}; COMMIT" if fused else sql, params)
        return cursor.fetchall() if cursor.description else []
