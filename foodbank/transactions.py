"""One transaction for a service's work and the caller's bookkeeping, without a savepoint between.

``foodbank.idempotency`` runs a creating service inside its own transaction, so that the created
rows and the completion of the ``Idempotency-Key`` commit together. The service's own
``transaction.atomic()`` would then open a SAVEPOINT and RELEASE it: two more round trips to
PostgreSQL on every request, protecting nothing, since any exception the service raises rolls the
whole transaction back (and releases the key). A service whose whole body is one transaction uses
``service_transaction()`` instead: directly inside ``idempotent_work()`` it joins the caller's
transaction; anywhere else (another service, a task, a test) it is a plain ``atomic()``, savepoint
included, so a caller that catches its refusal inside a transaction of its own can go on.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import transaction

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
