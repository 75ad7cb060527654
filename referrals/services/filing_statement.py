"""A delivery request's filing written in one statement (PostgreSQL).

Six ORM inserts (recipient, request, first event, outbox message, consent records, audit event)
cost more CPU in the ORM's SQL compilation than PostgreSQL spent running them, and six round trips
(docs/benchmarks.md). On PostgreSQL the filing writes them with one statement of data-modifying
CTEs whose SQL is built once per process. Each row is one JSON parameter that PostgreSQL turns
into a row of the table (``jsonb_populate_record``, so every value is cast to its column's type):
six parameters instead of a hundred, which psycopg would otherwise quote one by one into a
statement too long for its cache. Each value is still prepared by its model field as the ORM
prepares it (``pre_save``, ``get_db_prep_save``: timestamps, encryption; JSON fields as they are).
The instances built here become the saved rows (their ids from RETURNING), so the answer reads
nothing back. Elsewhere (SQLite) the ORM writes them as before.
"""

import functools
import json
from datetime import date, datetime
from ipaddress import IPv4Address, IPv6Address
from typing import Any

from django.db import connection, models
from django.db.models import Field, JSONField, Model

from foodbank.bulk import column_name
from foodbank.models import AuditEvent, OutboxMessage

from ..models import ConsentRecord, DeliveryRequest, DeliveryRequestEvent, Recipient


@functools.cache
def _fields(model: type[Model], refs: tuple[str, ...]) -> "list[Field[Any, Any]]":
    """The model's columns written from values: every concrete column but the id and ``refs``."""
    return [f for f in model._meta.concrete_fields if not f.primary_key and f.attname not in refs]


# Fields of exactly these classes prepare a value of exactly this type (or None) for PostgreSQL as
# it is: ``get_db_prep_save`` would only call ``to_python`` and return it. A filing has about a
# hundred values; going through the field for each was a fifth of a filing's CPU (docs/benchmarks.md).
# Subclasses (the encrypted fields, say) are not listed, so they always go through their field.
_AS_THEY_ARE: dict[type, type] = {
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
) -> "list[tuple[str, Field[Any, Any], type | None, bool]]":
    """For each column ``_row`` writes: its name, its field, the type of a value written as it is,
    and whether it is JSON (written as it is, encoded with the whole row)."""
    return [
        (column_name(f), f, _AS_THEY_ARE.get(type(f)), isinstance(f, JSONField)) for f in _fields(model, refs)
    ]


def _row(obj: Model, refs: tuple[str, ...]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for column, f, plain, is_json in _plan(type(obj), refs):
        value = f.pre_save(obj, True)
        if is_json or (plain is not None and (value is None or type(value) is plain)):
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
def _filing_sql() -> str:
    """The statement writing a filing; its parameters are ``write_filing``'s. Names come from the
    models' _meta, every value is a bound parameter."""
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
        insert("r", Recipient, (), "", "jsonb_populate_record({row}, %s::jsonb) AS j"),
        insert(
            "d", DeliveryRequest, ("recipient_id",), "r.id", "r, jsonb_populate_record({row}, %s::jsonb) AS j"
        ),
        insert(
            "e",
            DeliveryRequestEvent,
            ("request_id",),
            "d.id",
            "d, jsonb_populate_record({row}, %s::jsonb) AS j",
        ),
        insert("o", OutboxMessage, (), "", "jsonb_populate_record({row}, %s::jsonb) AS j"),
        insert(
            "c",
            ConsentRecord,
            _CONSENT_REFS,
            "r.id, d.id",
            "r, d, jsonb_populate_recordset({row}, %s::jsonb) WITH ORDINALITY AS j ORDER BY j.ordinality",
        ),
        insert(
            "a",
            AuditEvent,
            _AUDIT_REFS,
            "d.id::text, r.id",
            "r, d, jsonb_populate_record({row}, %s::jsonb) AS j",
        ),
    ]
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
    """Write the filing's rows with ``_filing_sql`` and give the instances their ids."""
    rows = [
        _row(person, ()),
        _row(request, ("recipient_id",)),
        _row(event, ("request_id",)),
        _row(message, ()),
        [_row(consent, _CONSENT_REFS) for consent in consents],
        _row(audit_event, _AUDIT_REFS),
    ]
    params = [json.dumps(row, default=_json_value, ensure_ascii=False) for row in rows]
    with connection.cursor() as cursor:
        cursor.execute(_filing_sql(), params)
        person.pk, request.pk, event.pk, message.pk, consent_ids, audit_event.pk = cursor.fetchone()
    request.recipient = person
    event.request = request
    audit_event.object_id, audit_event.subject_id = str(request.pk), person.pk
    for consent, pk in zip(consents, consent_ids, strict=True):
        consent.pk, consent.recipient, consent.delivery_request = pk, person, request
    for obj in (person, request, event, message, *consents, audit_event):
        obj._state.adding, obj._state.db = False, connection.alias
