"""Recording staff access to recipients' personal data (docs/spec.md §2, §5), and records of provision of
personal data to other organisations (APPI art. 29/30).

Both tables are append-only: a PostgreSQL trigger refuses UPDATE and DELETE (migration 0002).
"""

import functools
from collections.abc import Iterable
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from django.db import connection, connections, router, transaction
from django.db.models import Field, Q, signals
from django.http import HttpRequest
from django.utils import timezone

from . import security
from .bulk import column_name, insert_many
from .models import TENANT_ROLES, AuditEvent, Organisation, ProvisionRecord
from .selectors import memberships_for


def client_ip(request: HttpRequest | None) -> str | None:
    return security.client_ip(request)


# The request being answered (``AuditContextMiddleware``): services record their events (a request
# created, a consent recorded) without the HTTP request, and still get its address and path.
_current_request: ContextVar[HttpRequest | None] = ContextVar("audit_request", default=None)


class AuditContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            _current_request.reset(token)


def record(
    *,
    actor,
    action: str,
    object_type: str,
    object_id,
    subject_id: int | None = None,
    food_bank_id: int | None = None,
    request: HttpRequest | None = None,
    detail: dict | None = None,
) -> AuditEvent:
    """Append one audit event. ``detail`` must name fields or counts, never their values. Without
    ``request``, the address and path are those of the request being answered, if any."""
    event = build(
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        subject_id=subject_id,
        food_bank_id=food_bank_id,
        request=request,
        detail=detail,
    )
    _insert(event)
    return event


@functools.cache
def _insert_sql(alias: str) -> "tuple[str, list[Field[Any, Any]]]":
    """The INSERT of one event and the fields whose values it takes, built once per process: the
    ORM's compilation of the same statement was a fifth of an audited read's CPU
    (docs/benchmarks.md), as for the outbox's statements (``foodbank.outbox``)."""
    qn = connections[alias].ops.quote_name
    meta = AuditEvent._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    sql = (
        f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(column_name(f)) for f in fields)}) "  # noqa: S608 (names from _meta, values bound)
        f"VALUES ({', '.join(['%s'] * len(fields))}) RETURNING {qn(column_name(meta.pk))}"
    )
    return sql, fields


def _insert(event: AuditEvent) -> None:
    """``event.save(force_insert=True)`` without the ORM's compilation, on PostgreSQL: every value is
    prepared by its field as the ORM prepares it (``pre_save``: ``at``'s now; ``get_db_prep_save``:
    JSON, address), the instance gets its id and is saved as the ORM leaves it. Elsewhere (SQLite),
    or when something listens to the model's save signals, the ORM saves it."""
    alias = router.db_for_write(AuditEvent, instance=event)
    conn = connections[alias]
    if (
        conn.vendor != "postgresql"
        or signals.pre_save.has_listeners(AuditEvent)
        or signals.post_save.has_listeners(AuditEvent)
    ):
        event.save(force_insert=True, using=alias)
        return
    sql, fields = _insert_sql(alias)
    params = [f.get_db_prep_save(f.pre_save(event, True), conn) for f in fields]
    # As Model.save_base: an error here marks the enclosing atomic block for rollback.
    with transaction.mark_for_rollback_on_error(using=alias), conn.cursor() as cursor:
        cursor.execute(sql, params)
        event.pk = cursor.fetchone()[0]
    event._state.adding = False
    event._state.db = alias


def build(
    *,
    actor,
    action: str,
    object_type: str,
    object_id,
    subject_id: int | None = None,
    food_bank_id: int | None = None,
    request: HttpRequest | None = None,
    detail: dict | None = None,
) -> AuditEvent:
    """``record``'s event, not saved: for a caller that writes it in a statement of its own with
    other rows (a delivery request's filing, docs/benchmarks.md); it must then be written."""
    if request is None:
        request = _current_request.get()
    memberships = memberships_for(actor) if actor is not None else []
    roles = sorted({m.role for m in memberships})
    if food_bank_id is None:
        # The actor's tenant when there is only one, so the event shows in its coordinators' search.
        tenants = {m.food_bank_id for m in memberships if m.role in TENANT_ROLES}
        food_bank_id = tenants.pop() if len(tenants) == 1 else None
    return AuditEvent(
        actor=actor if getattr(actor, "pk", None) else None,
        actor_role=",".join(roles)[:32],
        food_bank_id=food_bank_id,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        subject_id=subject_id,
        ip_address=client_ip(request),
        path=(request.path[:300] if request is not None else ""),
        detail=detail or {},
    )


def record_shown(
    *,
    actor,
    request: HttpRequest | None,
    object_type: str,
    object_id,
    subject_ids: Iterable[int | None],
    action: str = AuditEvent.Action.VIEW,
    food_bank_id: int | None = None,
    detail: dict | None = None,
) -> AuditEvent | None:
    """One event for an answer that shows several people's data (a list, a document): the people's
    ids in ``detail["subjects"]``, found by the per-person search (``subject_filter``), and
    ``subject_id`` when there is one. Nothing is recorded when the answer shows nobody."""
    subjects = sorted({s for s in subject_ids if s is not None})
    if not subjects:
        return None
    return record(
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        subject_id=subjects[0] if len(subjects) == 1 else None,
        food_bank_id=food_bank_id,
        request=request,
        detail={**(detail or {}), "subjects": subjects},
    )


def record_view(
    request: HttpRequest,
    *,
    object_type: str,
    object_id,
    subject_id: int | None = None,
    subject_ids: Iterable[int | None] | None = None,
    food_bank_id: int | None = None,
    action: str = AuditEvent.Action.VIEW,
    detail: dict | None = None,
) -> AuditEvent | None:
    """Record that ``request.user`` was shown personal data (a page, an API answer, an admin form, a
    document or export: ``action``): the one way views record it (docs/spec.md §5). One person:
    ``subject_id``. An answer that shows several people: ``subject_ids``, recorded as
    ``record_shown`` does (nothing when it shows nobody)."""
    if subject_ids is not None:
        return record_shown(
            actor=request.user,
            request=request,
            object_type=object_type,
            object_id=object_id,
            subject_ids=subject_ids,
            action=action,
            food_bank_id=food_bank_id,
            detail=detail,
        )
    return record(
        actor=request.user,
        action=action,
        object_type=object_type,
        object_id=object_id,
        subject_id=subject_id,
        food_bank_id=food_bank_id,
        request=request,
        detail=detail,
    )


def subject_filter(subject_id: int):
    """Events about one person: recorded against them, or listing them among a document's or a
    list's people."""
    if connection.vendor == "postgresql":
        return Q(subject_id=subject_id) | Q(detail__subjects__contains=[subject_id])
    # SQLite (the embedded set-up) has no JSON containment; json_extract gives the array as
    # compact text ("[3,12]"), in which the id stands between brackets or commas.
    return Q(subject_id=subject_id) | Q(detail__subjects__regex=rf"[\[,]{int(subject_id)}[,\]]")


def record_provision(
    *,
    food_bank_id: int,
    subject_ids: Iterable[int],
    data_categories: Iterable[str],
    basis: str,
    trigger_type: str,
    trigger_id,
    recipient_organisation: Organisation | None = None,
    recipient_name: str = "",
    provided_by=None,
    provided_at: datetime | None = None,
) -> int:
    """Record that personal data of each of ``subject_ids`` went to another organisation.

    Call it in the transaction that provides the data: a referral sent to a window or agency
    (``basis="consent"``, ``recipient_organisation`` set), a courier CSV handed to the carrier
    (``basis="entrustment"``, ``recipient_name`` the carrier). ``data_categories`` name fields,
    never their values (e.g. ``["name", "address", "phone"]``). Idempotent per trigger: a retry with
    the same ``trigger_type``/``trigger_id`` adds nothing. Returns how many records are new.
    """
    if recipient_organisation is not None and not recipient_name:
        recipient_name = recipient_organisation.name
    if not recipient_name:
        raise ValueError("record_provision needs recipient_name or recipient_organisation")
    if basis not in ProvisionRecord.Basis.values:
        raise ValueError(f"Unknown basis {basis!r}")
    categories = sorted(set(data_categories))
    with transaction.atomic():
        before = ProvisionRecord.objects.filter(
            food_bank_id=food_bank_id, trigger_type=trigger_type, trigger_id=str(trigger_id)
        ).count()
        # One INSERT however many subjects (a dispatch batch has thousands), no instance per row.
        insert_many(
            ProvisionRecord,
            columns={"subject_id": sorted(set(subject_ids))},
            same={
                "food_bank_id": food_bank_id,
                "recipient_organisation_id": getattr(recipient_organisation, "pk", None),
                "recipient_name": recipient_name[:200],
                "data_categories": categories,
                "basis": basis,
                "provided_at": provided_at or timezone.now(),
                "provided_by_id": provided_by.pk if getattr(provided_by, "pk", None) else None,
                "trigger_type": trigger_type,
                "trigger_id": str(trigger_id),
            },
            ignore_conflicts=True,
        )
        after = ProvisionRecord.objects.filter(
            food_bank_id=food_bank_id, trigger_type=trigger_type, trigger_id=str(trigger_id)
        ).count()
    return after - before
