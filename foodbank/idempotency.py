"""``Idempotency-Key`` support for POSTs that create something (docs/spec.md §4).

A retry with the same key and body returns the first answer and changes nothing; the same key with
another body is 422 ``idempotency_key_reused``; a retry while the first request is still running is
409 ``idempotency_key_in_use``. The claim, the work and the key's completion commit together, in one
transaction: a crash or a refusal leaves neither a created resource nor a claimed key behind, and a
request costs one commit, not two (docs/benchmarks.md). A concurrent retry cannot see the first
request's uncommitted claim, so on PostgreSQL the claim also takes a transaction-level advisory lock
on the key, without waiting: the retry that cannot take it is told 409 at once instead of queueing
behind the first. (SQLite serialises writing transactions, so there is nothing to tell.) Only a
fingerprint of the body and the created id are stored, never the body. A service that creates with
one statement may complete the key in that statement (``completion_sql``: a handout, a delivery
request's filing), which then goes with the ``COMMIT``.
"""

import functools
import hashlib
import json
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from .exceptions import IdempotencyKeyInUse, IdempotencyKeyReused
from .models import IdempotencyKey
from .transactions import execute_then_commit, idempotent_work

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


def fingerprint(request: Request) -> str:
    """A digest of what the request asks for: method, path and the parsed body."""
    body = json.dumps(request.data, sort_keys=True, default=str, ensure_ascii=False)
    digest = hashlib.sha256()
    for part in (request.method, request.path, body):
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def _read_key(request: Request) -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise serializers.ValidationError(
            {HEADER: [f"Must be 1–{MAX_KEY_LENGTH} printable characters."]}, code="invalid"
        )
    return key


def _claim(*, user, scope: str, key: str, print_: str) -> tuple[IdempotencyKey, bool]:
    """Claim the key for this request, or raise/return what an earlier request left; and whether
    the claim is a row this transaction inserted.

    Runs inside the work's transaction (see the module's docstring).
    """
    now = timezone.now()
    lease = timedelta(seconds=settings.IDEMPOTENCY_LEASE_SECONDS)
    # The usual case is a new key: one INSERT, which does nothing when the unique constraint says an
    # earlier request has the key, or (PostgreSQL) when a request still running holds the key's
    # lock; only then is the earlier row read. Plain SQL: the ORM's create() cost more CPU than the
    # statement, and ON CONFLICT needs no savepoint inside a transaction (docs/benchmarks.md).
    values = [user.pk, scope, key, print_, IdempotencyKey.State.IN_PROGRESS, now + lease, now]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_CLAIM_LOCKED_SQL, [*values, _LOCK_CLASS, f"{user.pk}\n{scope}\n{key}"])
        else:
            cursor.execute(_CLAIM_SQL, values)
        inserted = cursor.fetchone()
    if inserted is not None:
        claim = IdempotencyKey(
            pk=inserted[0],
            user=user,
            scope=scope,
            key=key,
            fingerprint=print_,
            state=IdempotencyKey.State.IN_PROGRESS,
            locked_until=now + lease,
            created_at=now,
        )
        claim._state.adding, claim._state.db = False, connection.alias
        return claim, True
    row = IdempotencyKey.objects.filter(user=user, scope=scope, key=key).first()
    if row is None:  # a first request holds the key's lock and has not committed yet
        raise IdempotencyKeyInUse()
    if row.fingerprint != print_:
        raise IdempotencyKeyReused()
    if row.state == IdempotencyKey.State.COMPLETED:
        return row, False
    if row.locked_until and row.locked_until > now:
        raise IdempotencyKeyInUse()
    # A claim committed on its own by an earlier release of this module, whose request died without
    # finishing (its work rolled back with it): take the key over.
    taken = IdempotencyKey.objects.filter(
        pk=row.pk, state=IdempotencyKey.State.IN_PROGRESS, locked_until=row.locked_until
    ).update(locked_until=now + lease)
    if not taken:
        raise IdempotencyKeyInUse()
    return row, False


_TABLE = IdempotencyKey._meta.db_table
_CLAIM_SQL = (
    f'INSERT INTO "{_TABLE}" (user_id, scope, "key", fingerprint, state, locked_until, created_at) '  # noqa: S608
    'VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (user_id, scope, "key") DO NOTHING RETURNING id'
)
# The claim on PostgreSQL: the same row, inserted only if this transaction takes the key's advisory
# lock at once (a 32-bit hash of user, scope and key under a class of its own; a collision between
# two keys in flight at the same moment costs one needless 409, which the client retries).
_LOCK_CLASS = 0x1DE4  # "idem": keeps these locks apart from any other advisory lock
_CLAIM_LOCKED_SQL = (
    f'INSERT INTO "{_TABLE}" (user_id, scope, "key", fingerprint, state, locked_until, created_at) '
    "SELECT %s::bigint, %s, %s, %s, %s, %s::timestamptz, %s::timestamptz "
    "WHERE pg_try_advisory_xact_lock(%s::integer, hashtext(%s)) "
    'ON CONFLICT (user_id, scope, "key") DO NOTHING RETURNING id'
)
_COMPLETE_SQL = (
    f'UPDATE "{_TABLE}" SET state = %s, resource_id = %s, response_status = %s, locked_until = NULL '  # noqa: S608
    "WHERE id = %s"
)


def _complete(claim: IdempotencyKey, *, resource_id: int, response_status: int) -> None:
    """Mark the claimed key completed with what it created: the last statement of the work's
    transaction, sent with its COMMIT when it can be (``execute_then_commit``)."""
    execute_then_commit(
        _COMPLETE_SQL, [IdempotencyKey.State.COMPLETED, resource_id, response_status, claim.pk]
    )


@dataclass
class _Completion:
    """The key's completion, offered to the work (``completion_sql``); ``depth``: the atomic blocks
    open around the work."""

    claim: IdempotencyKey
    response_status: int
    depth: int
    taken: bool = False
    statements: int = 0  # run by the work so far

    def count(self, execute, sql, params, many, context):
        """Django's execute wrapper around the work: the statement that takes the completion must be
        the work's first and its last (``completion_sql``)."""
        if self.taken and self.statements:
            raise RuntimeError("A statement ran after the one that completed the Idempotency-Key.")
        self.statements += 1
        return execute(sql, params, many, context)


_offered: ContextVar[_Completion | None] = ContextVar("foodbank_idempotency_completion", default=None)


def completion_sql(created: str) -> tuple[str, dict[str, object]] | None:
    """For a creating service that writes with one statement of data-modifying queries (``WITH …``)
    on PostgreSQL, run as the work of ``idempotent_create`` or ``run_once``: the key's completion as
    two more such queries of that statement, or None when there is no key to complete (no key, a
    caller of another kind, SQLite). ``created`` names the statement's query that answers the
    created row's ``id``, or no row when the statement refuses and writes nothing.

    With a row, the key is completed with that id; without, the claim is deleted, which leaves what
    a rollback would: the completion is offered only for a claim inserted in this transaction, only
    to the service's own block joined to the caller's (``service_transaction`` run directly as the
    work, no savepoint between), so that the statement's answer is the work's, and only to the
    work's first statement, which must also be its last (a statement after it raises): a refused
    statement that wrote nothing then leaves nothing written. The statement can go with the
    ``COMMIT`` (``foodbank.transactions.execute_then_commit(…, completes_caller=True)``), and the
    work returns what it created right after it (the caller writes nothing more). A handout with a
    key holds the window's rows for no round trip of its own then (docs/benchmarks.md).
    Parameters are named ``idempotency_*``."""
    completion = _offered.get()
    if (
        completion is None
        or completion.taken
        or completion.statements
        or connection.vendor != "postgresql"
        or len(connection.atomic_blocks) != completion.depth + 1
        or connection.savepoint_ids[-1:] != [None]
    ):
        return None
    completion.taken = True
    sql = _COMPLETION_SQL.format(created=created)
    return sql, {
        "idempotency_claim": completion.claim.pk,
        "idempotency_completed": IdempotencyKey.State.COMPLETED,
        "idempotency_status": completion.response_status,
    }


_COMPLETION_SQL = (
    f'idempotency_completed AS (UPDATE "{_TABLE}" SET state = %(idempotency_completed)s, '  # noqa: S608
    "resource_id = created.id, response_status = %(idempotency_status)s, locked_until = NULL "
    f'FROM {{created}} AS created WHERE "{_TABLE}".id = %(idempotency_claim)s), '
    f'idempotency_released AS (DELETE FROM "{_TABLE}" WHERE id = %(idempotency_claim)s '
    "AND NOT EXISTS (SELECT FROM {created}))"
)


def _work(claim: IdempotencyKey, create: Callable[[], Any], *, inserted: bool, response_status: int) -> Any:
    """Run ``create()`` as the key's work, then complete the key unless the work did
    (``completion_sql``, offered for a claim this transaction ``inserted``)."""
    completion = _Completion(claim, response_status, depth=len(connection.atomic_blocks))
    token = _offered.set(completion if inserted else None)
    try:
        # no savepoint for the service's own transaction
        with idempotent_work(), connection.execute_wrapper(completion.count):
            instance = create()
    finally:
        _offered.reset(token)
    if not completion.taken:
        _complete(claim, resource_id=instance.pk, response_status=response_status)
    return instance


def idempotent_create(
    request: Request,
    *,
    scope: str,
    create: Callable[[], Any],
    render: Callable[[Any], Any],
    load: Callable[[int], Any],
    status_code: int = status.HTTP_201_CREATED,
) -> Response:
    """Run ``create()`` at most once per (user, scope, key) and answer with ``render(instance)``.

    ``create`` is called inside a transaction together with the key's completion, and must return
    a model instance; ``load(pk)`` fetches it again for a replay. Without the header, ``create``
    simply runs.
    """
    key = _read_key(request)
    if key is None:
        instance = create()
        return Response(render(instance), status=status_code)

    print_ = fingerprint(request)
    # Refused or failed: the transaction rolls back the claim with the work, so a corrected retry
    # may use the key. The answer is rendered after the commit, as without a key: the key's
    # completion is the transaction's last statement.
    with transaction.atomic():
        claim, inserted = _claim(user=request.user, scope=scope, key=key, print_=print_)
        replay = claim.state == IdempotencyKey.State.COMPLETED
        if not replay:
            instance = _work(claim, create, inserted=inserted, response_status=status_code)
    if not replay:
        return Response(render(instance), status=status_code)
    response = Response(render(load(claim.resource_id)), status=claim.response_status)
    response["Idempotent-Replayed"] = "true"
    return response


def purge_expired_keys(*, now=None) -> int:
    """Delete keys older than ``IDEMPOTENCY_KEY_TTL_DAYS``; returns how many went."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.IDEMPOTENCY_KEY_TTL_DAYS)
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def run_once(*, user, scope: str, key: str, fingerprint: str, create: Callable[[], Any]) -> tuple[int, bool]:
    """``idempotent_create`` for callers that are not API views, e.g. an HTML form that carries its
    key in a hidden field (generated when the form was rendered). Runs ``create()`` at most once per
    (user, scope, key) and returns ``(pk of what it created, whether this call was a replay)``.
    Raises IdempotencyKeyReused for another ``fingerprint`` under the same key and
    IdempotencyKeyInUse while the first call is still running, like the API.
    """
    with transaction.atomic():
        claim, inserted = _claim(user=user, scope=scope, key=key, print_=fingerprint)
        if claim.state == IdempotencyKey.State.COMPLETED:
            return claim.resource_id, True
        instance = _work(claim, create, inserted=inserted, response_status=status.HTTP_201_CREATED)
    return instance.pk, False


def honours_idempotency_key(post: Callable) -> Callable:
    """Mark an API view's ``post`` as creating something: a malformed ``Idempotency-Key`` is refused
    (400) before any work, and the body must run its creation through ``idempotent_create``.
    ``tests/trust/test_idempotency_completeness.py`` walks the URLconf and fails for a POST that
    neither carries this mark nor is listed there as not creating anything."""

    @functools.wraps(post)
    def checked(view, request, *args, **kwargs):
        _read_key(request)
        return post(view, request, *args, **kwargs)

    checked.honours_idempotency_key = True
    return checked
