"""A delivery request's filing written in one statement (PostgreSQL).

Six ORM inserts (recipient, request, first event, outbox message, consent records, audit event)
cost more CPU in the ORM's SQL compilation than PostgreSQL spent running them, and six round trips
(docs/benchmarks.md). On PostgreSQL the filing writes them with one statement of data-modifying
CTEs whose SQL is built once per process. Each row is one JSON parameter that PostgreSQL turns
into a row of the table (``jsonb_populate_record``, so every value is cast to its column's type):
six parameters instead of a hundred, which psycopg would otherwise quote one by one into a
statement too long for its cache. Each value is prepared by its model field as the ORM prepares
it (``pre_save``, ``get_db_prep_save``: timestamps, encryption), or taken as it is where the field
would not change it (``_AS_THEY_ARE``; JSON fields as they are).
The instances built here become the saved rows (their ids from RETURNING), so the answer reads
nothing back. Run as the work of an ``Idempotency-Key``, the statement completes the key too
(``foodbank.idempotency.completion_sql``), and it goes to PostgreSQL with the transaction's
``COMMIT`` when it is the transaction's last (``foodbank.transactions.execute_then_commit``): a
filing with a key is then the key's claim and this statement, two round trips after the token's.
A reference the agency used already is refused by the unique constraint, with nothing written.
Elsewhere (SQLite) the ORM writes them as before.
"""

import functools
import json
from datetime import date, datetime
from ipaddress import IPv4Address, IPv6Address
from typing import Any

from django.db import connection, models
from django.db.models import Field, JSONField, Model

from foodbank.bulk import column_name
from foodbank.idempotency import completion_sql
from foodbank.models import AuditEvent, OutboxMessage
from foodbank.transactions import execute_then_commit

from ..models import ConsentRecord, DeliveryRequest, DeliveryRequestEvent, Recipient


@functools.cache
def _fields(model: type[Model], refs: tuple[str, ...]) -> "list[Field[Any, Any]]":
    """The model's columns written from values: every concrete column but the id and ``refs``."""
    return [f for f in model._meta.concrete_fields if not f.primary_key and f.attname not in refs]


# Fields of exactly these classes prepare a value of exactly this type (or None) for PostgreSQL as
# it is: ``get_db_prep_save`` would only call ``to_python`` and return it. A filing has about a
# hundred values; going through the field for each was a fifth of a filing's CPU (docs/benchmarks.md).
# Subclasses (the encrypted fields, say) are not listed, so they always go through their field.
# A text column also takes a str subclass (a choice such as ``Status.SUBMITTED``) as it is, which
# ``to_python`` returns unchanged; a datetime only when it is aware (a naive one is made aware, with
# a warning, by the field); a date only when it is not a datetime (which the field would cut).
_AS_THEY_ARE: dict[type, type] = {
    models.DateTimeField: datetime,
    models.DateField: date,
    models.CharField: str,
    models.TextField: str,
    models.SlugField: str,
    models.BooleanField: bool,
    models.IntegerField: int,
    models.BigIntegerField: int,
    models.SmallIntegerField: int,
    models.PositiveIntegerField: int,
    models.PositiveSmallIntegerField: int,
    models.ForeignKey: int,
}


@functools.cache
def _plan(
    model: type[Model], refs: tuple[str, ...]
) -> "list[tuple[str, Field[Any, Any], str | None, type | None, bool]]":
    """For each column ``_row`` writes: its name, its field, the attribute its value is read from
    when the field's ``pre_save`` would only read it (None: the field's class has a ``pre_save`` of
    its own, e.g. a date's ``auto_now_add``), the type of a value written as it is, and whether it
    is JSON (written as it is, encoded with the whole row)."""
    return [
        (
            column_name(f),
            f,
            f.attname if type(f).pre_save is Field.pre_save else None,
            _AS_THEY_ARE.get(type(f)),
            isinstance(f, JSONField),
        )
        for f in _fields(model, refs)
    ]


def _as_it_is(value: object, plain: type) -> bool:
    kind = type(value)
    if kind is plain or value is None:
        # Aware as Django's is_aware() says: a naive time is made aware by the field, with a warning.
        return plain is not datetime or value is None or value.utcoffset() is not None  # type: ignore[attr-defined]
    return plain is str and isinstance(value, str)


def _row(obj: Model, refs: tuple[str, ...]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for column, f, attname, plain, is_json in _plan(type(obj), refs):
        value = getattr(obj, attname) if attname else f.pre_save(obj, True)
        if is_json or (plain is not None and _as_it_is(value, plain)):
            row[column] = value
        else:
            row[column] = f.get_db_prep_save(value, connection)
    return row


def _json_value(value: object) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()  # full precision (DjangoJSONEncoder would cut microseconds)
    if isinstance(value, IPv4Address | IPv6Address):  # the address an audit event records
        return str(value)
    raise TypeError(f"{type(value).__name__} in a filing's row")


_CONSENT_REFS = ("recipient_id", "delivery_request_id")
_AUDIT_REFS = ("object_id", "subject_id")


@functools.cache
def _filing_sql(completion: str = "") -> str:
    """The statement writing a filing; its parameters are ``write_filing``'s, one JSON row each,
    named ``recipient``, ``request``, ``event``, ``message``, ``consents`` and ``audit``.
    ``completion``: more queries of the statement (an ``Idempotency-Key``'s completion, with its
    own parameters). Names come from the models' _meta, every value is a bound parameter."""
    qn = connection.ops.quote_name

    def insert(name: str, model: type[Model], refs: tuple[str, ...], ref_values: str, source: str) -> str:
        fields = _fields(model, refs)
        table = qn(model._meta.db_table)
        by_attname = {f.attname: f for f in model._meta.concrete_fields}
        columns = ", ".join(
            [*(qn(column_name(by_attname[r])) for r in refs), *(qn(column_name(f)) for f in fields)]
        )
        values = ", ".join([*filter(None, [ref_values]), *(f"j.{qn(column_name(f))}" for f in fields)])
        return (
            f"{name} AS (INSERT INTO {table} ({columns}) SELECT {values} "  # noqa: S608 (names from _meta, values bound)
            f"FROM {source.format(row=f'NULL::{table}')} RETURNING id)"
        )

    parts = [
        insert("r", Recipient, (), "", "jsonb_populate_record({row}, %(recipient)s::jsonb) AS j"),
        insert(
            "d",
            DeliveryRequest,
            ("recipient_id",),
            "r.id",
            "r, jsonb_populate_record({row}, %(request)s::jsonb) AS j",
        ),
        insert(
            "e",
            DeliveryRequestEvent,
            ("request_id",),
            "d.id",
            "d, jsonb_populate_record({row}, %(event)s::jsonb) AS j",
        ),
        insert("o", OutboxMessage, (), "", "jsonb_populate_record({row}, %(message)s::jsonb) AS j"),
        insert(
            "c",
            ConsentRecord,
            _CONSENT_REFS,
            "r.id, d.id",
            "r, d, jsonb_populate_recordset({row}, %(consents)s::jsonb) WITH ORDINALITY AS j "
            "ORDER BY j.ordinality",
        ),
        insert(
            "a",
            AuditEvent,
            _AUDIT_REFS,
            "d.id::text, r.id",
            "r, d, jsonb_populate_record({row}, %(audit)s::jsonb) AS j",
        ),
    ]
    if completion:
        parts.append(completion)
    return (
        f"WITH {', '.join(parts)} "  # noqa: S608 (names from _meta, values bound)
        "SELECT (SELECT id FROM r), (SELECT id FROM d), (SELECT id FROM e), (SELECT id FROM o), "
        "(SELECT array_agg(id ORDER BY id) FROM c), (SELECT id FROM a)"
    )


def write_filing(
    person: Recipient,
    request: DeliveryRequest,
    event: DeliveryRequestEvent,
    message: OutboxMessage,
    consents: list[ConsentRecord],
    audit_event: AuditEvent,
) -> None:
    """Write the filing's rows with ``_filing_sql`` and give the instances their ids. The statement
    may commit the caller's transaction (see the module's docstring): the caller writes nothing
    after it."""
    rows = {
        "recipient": _row(person, ()),
        "request": _row(request, ("recipient_id",)),
        "event": _row(event, ("request_id",)),
        "message": _row(message, ()),
        "consents": [_row(consent, _CONSENT_REFS) for consent in consents],
        "audit": _row(audit_event, _AUDIT_REFS),
    }
    params: dict[str, object] = {
        name: json.dumps(row, default=_json_value, ensure_ascii=False) for name, row in rows.items()
    }
    # The request's id completes the key. (Its release, for a statement that writes nothing, never
    # applies: the statement writes every row or fails.)
    completion = completion_sql("d")
    if completion is not None:
        params.update(completion[1])
    ((person.pk, request.pk, event.pk, message.pk, consent_ids, audit_event.pk),) = execute_then_commit(
        _filing_sql(completion[0] if completion else ""), params, completes_caller=completion is not None
    )
    request.recipient = person
    event.request = request
    audit_event.object_id, audit_event.subject_id = str(request.pk), person.pk
    for consent, pk in zip(consents, consent_ids, strict=True):
        consent.pk, consent.recipient, consent.delivery_request = pk, person, request
    for obj in (person, request, event, message, *consents, audit_event):
        obj._state.adding, obj._state.db = False, connection.alias
