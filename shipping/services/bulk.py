"""Bulk writes of a batch's parcels: instances without ``__init__``, ``COPY``, ``INSERT … SELECT``."""

import json
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import JSONField
from django.db.models.base import ModelState
from django.utils import timezone

from foodbank.bulk import column_name, written_as_given
from foodbank.crypto import EncryptedTextField

from ..models import Parcel, ParcelEvent

_PARCEL_DEFAULTS: dict[str, object] | None = None

# Turns a parcel's value into what COPY takes: convert(value, now).
Converter = Callable[[Any, datetime], object]


def _new_parcel(**values: object) -> Parcel:
    """``Parcel(**values)`` for a new row (``values`` by attname: ``batch_id``, not ``batch``), without
    ``Model.__init__``'s work per field and keyword (a sixth of the plan's CPU at 10,000 parcels).
    The defaults are computed once: a default list or dict is shared by the parcels that do not set
    it (they are only inserted, never changed in place)."""
    global _PARCEL_DEFAULTS
    if _PARCEL_DEFAULTS is None:
        _PARCEL_DEFAULTS = {f.attname: f.get_default() for f in Parcel._meta.concrete_fields}
    parcel = Parcel.__new__(Parcel)
    parcel.__dict__.update(_PARCEL_DEFAULTS)
    parcel.__dict__.update(values)
    parcel._state = ModelState()
    return parcel


def _insert_parcels(parcels: list[Parcel]) -> None:
    """Insert new parcels with one statement: PostgreSQL's ``COPY`` (about half the time of a bulk
    ``INSERT`` of 10,000 wide rows, client and server), ``bulk_create`` elsewhere (SQLite splits it
    at its parameter limit). Values are prepared by the model's fields as for ``bulk_create``
    (``auto_now_add``, encryption, JSON); ids are not read back."""
    if connection.vendor != "postgresql" or not parcels:
        Parcel.objects.bulk_create(parcels)
        return
    qn = connection.ops.quote_name
    fields = [f for f in Parcel._meta.concrete_fields if not f.primary_key]
    sql = f"COPY {qn(Parcel._meta.db_table)} ({', '.join(qn(column_name(f)) for f in fields)}) FROM STDIN"
    started = time.monotonic()
    rows = [[d[name] for name in _COPY_NAMES] for d in (p.__dict__ for p in parcels)]
    now = timezone.now()
    for index, convert in _copy_converters():
        for row in rows:
            row[index] = convert(row[index], now)
    with connection.cursor() as cursor, connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)
    if connection.queries_logged:  # COPY bypasses Django's cursor: count it like any other query
        connection.queries_log.append({"sql": sql, "time": f"{time.monotonic() - started:.3f}"})


_COPY_NAMES = [f.attname for f in Parcel._meta.concrete_fields if not f.primary_key]


def _copy_converters() -> list[tuple[int, Converter]]:
    """(column, convert(value, now)) for the parcel columns whose Python value is not what ``COPY``
    takes as is: what ``get_db_prep_save`` does for them, without its generic per-value path (about
    a third of the plan's CPU at 10,000 parcels). Every other column (text, numbers, dates, foreign
    keys) is written as the model holds it, as ``get_db_prep_save`` would return it on PostgreSQL."""
    converters: list[tuple[int, Converter]] = []
    for index, field in enumerate(f for f in Parcel._meta.concrete_fields if not f.primary_key):
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            converters.append((index, lambda _value, now: now))
        elif isinstance(field, EncryptedTextField):
            converters.append((index, _encrypting(field)))
        elif isinstance(field, JSONField):
            converters.append((index, _json_dumping(field)))
        elif not written_as_given(field):
            raise TypeError(f"Parcel.{field.name}: add a COPY converter for {type(field).__name__}")
    return converters


def _encrypting(field: "EncryptedTextField[Any, Any]") -> Converter:
    return lambda value, _now: field.get_db_prep_save(value, connection)


def _json_dumping(field: "JSONField[Any]") -> Converter:
    return lambda value, _now: _json(value, field.encoder)


def _json(value: object, encoder: type[json.JSONEncoder] | None) -> str | None:
    return None if value is None else json.dumps(value, cls=encoder)


def _log_events(
    *, batch_id: int, status: str, from_status: str, at: datetime, note: str = "", chunk: int | None = None
) -> None:
    """Append a ``from_status`` → ``status`` event for every parcel of the batch (or of one of its
    chunks) now in ``status``, with one ``INSERT … SELECT`` whatever their number."""
    qn = connection.ops.quote_name
    event, parcel = ParcelEvent._meta, Parcel._meta
    columns = ", ".join(
        qn(column_name(event.get_field(name)))
        for name in ("parcel", "from_status", "to_status", "at", "note")
    )
    batch_column = column_name(parcel.get_field("batch"))
    status_column = column_name(parcel.get_field("status"))
    where = f"{qn(batch_column)} = %s AND {qn(status_column)} = %s"
    params: list[Any] = [from_status, status, connection.ops.adapt_datetimefield_value(at), note[:200]]
    params += [batch_id, status]
    if chunk is not None:
        where += f" AND {qn(column_name(parcel.get_field('chunk')))} = %s"
        params.append(chunk)
    sql = (
        f"INSERT INTO {qn(event.db_table)} ({columns}) "  # noqa: S608 (names from _meta, values bound)
        f"SELECT {qn(column_name(parcel.pk))}, %s, %s, %s, %s FROM {qn(parcel.db_table)} WHERE {where}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
