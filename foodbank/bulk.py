"""``insert_many``: thousands of rows in one ``INSERT``, without a model instance per row.

``bulk_create`` builds a model instance per row and prepares every value through its field, which
for a dispatch batch's 10,000 reservations, reservation lines or provision records costs more than
the database's own work. ``insert_many`` takes the rows as columns (one list per field) plus the
values every row shares, and on PostgreSQL writes::

    INSERT INTO t (shared…, columns…) SELECT %s, …, u.* FROM unnest(%s::type[], …) AS u(…)

with each column as one array parameter; elsewhere (SQLite) it falls back to ``bulk_create``.

Values of the columns are written as given: they must already be what the database takes (ints,
strings, dates, booleans, ``None``); fields that need converting (JSON, encrypted text: a field
that prepares its values itself, whatever type it reports) can only be shared values, which go
through the field like any other value. A field given neither way gets its
default (``auto_now``/``auto_now_add``: now; a callable default is called once for all rows).
"""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast

from django.db import connections, models, router
from django.db.models import Field, ForeignObjectRel
from django.utils import timezone


def column_name(field: "Field[Any, Any] | ForeignObjectRel | None") -> str:
    """The column of a concrete field, for SQL written by hand. The stubs type ``_meta.get_field()``
    as any field or reverse relation, ``_meta.pk`` as optional and ``Field.column`` as optional;
    every field the callers name is a concrete column of its table."""
    return cast(str, cast("Field[Any, Any]", field).column)


# Field types whose Python values are what PostgreSQL takes as they are (columns passed as arrays
# here; the values shipping's parcel COPY writes without converting).
DB_READY_TYPES = {
    "AutoField",
    "BigAutoField",
    "BigIntegerField",
    "BooleanField",
    "CharField",
    "DateField",
    "DateTimeField",
    "ForeignKey",
    "IntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SlugField",
    "SmallIntegerField",
    "TextField",
}

# The methods a field prepares its values with: a subclass that overrides one (encrypted text, which
# reports "TextField" too) does not take them as they are.
_PREPARING = ("to_python", "get_prep_value", "get_db_prep_value", "get_db_prep_save")


def written_as_given(field: "Field[Any, Any]") -> bool:
    """Whether the field's Python values are what PostgreSQL takes as they are: its type is one of
    ``DB_READY_TYPES`` and it prepares values as Django's own class of that type does."""
    kind = field.get_internal_type()
    if kind not in DB_READY_TYPES:
        return False
    base = getattr(models, kind)
    return all(getattr(type(field), name) is getattr(base, name) for name in _PREPARING)


def insert_many(
    model,
    *,
    columns: Mapping[str, Sequence],
    same: Mapping[str, object] | None = None,
    returning: Sequence[str] = (),
    ignore_conflicts: bool = False,
) -> list[tuple]:
    """Insert ``len(next(iter(columns.values())))`` rows of ``model`` with one statement and return
    the ``returning`` fields (attnames) of the rows inserted, in no particular order (map them by a
    returned field). ``columns`` and ``same`` are keyed by field attname (``site_id``)."""
    count = _row_count(model, columns)
    if not count:
        return []
    fields = {f.attname: f for f in model._meta.concrete_fields}
    if set(returning) - set(fields):
        raise ValueError(
            f"insert_many: {model.__name__} has no fields {sorted(set(returning) - set(fields))}"
        )
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql":
        same = _with_defaults(model, columns, same)
        objs = model.objects.bulk_create(
            [model(**same, **{name: values[i] for name, values in columns.items()}) for i in range(count)],
            ignore_conflicts=ignore_conflicts,
        )
        return [tuple(getattr(obj, name) for name in returning) for obj in objs] if returning else []
    sql, params = insert_many_sql(model, columns=columns, same=same, connection=connection)
    if ignore_conflicts:
        sql += " ON CONFLICT DO NOTHING"
    if returning:
        sql += f" RETURNING {', '.join(connection.ops.quote_name(fields[n].column) for n in returning)}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [tuple(row) for row in cursor.fetchall()] if returning else []


def insert_many_sql(
    model, *, columns: Mapping[str, Sequence], same: Mapping[str, object] | None = None, connection
) -> tuple[str, list]:
    """``insert_many``'s statement and parameters (PostgreSQL), not run."""
    _row_count(model, columns)
    shared = shared_values(model, columns=columns, same=same, connection=connection)
    fields = {f.attname: f for f in model._meta.concrete_fields}
    qn = connection.ops.quote_name
    names = [*shared, *columns]
    params = [*shared.values(), *(list(values) for values in columns.values())]
    arrays = ", ".join(f"%s::{fields[name].db_type(connection)}[]" for name in columns)
    aliases = [f"c{i}" for i in range(len(columns))]
    sql = (
        f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(fields[n].column) for n in names)}) "  # noqa: S608
        f"SELECT {', '.join(['%s'] * len(shared) + [f'u.{a}' for a in aliases])} "
        f"FROM unnest({arrays}) AS u({', '.join(aliases)})"
    )
    return sql, params


def shared_values(
    model, *, columns: Iterable[str], same: Mapping[str, object] | None = None, connection
) -> dict[str, object]:
    """The values every row of an insert shares, keyed by attname and prepared by their fields for
    the database: ``same`` plus the default of every field that is not one of ``columns`` (the
    values that differ from row to row), as ``insert_many`` writes them. For a caller whose rows
    come from a query of its own (``INSERT … SELECT``): a handout's movements
    (``inventory.services.handouts``)."""
    same = _with_defaults(model, columns, same)
    fields = {f.attname: f for f in model._meta.concrete_fields}
    return {name: fields[name].get_db_prep_save(value, connection) for name, value in same.items()}


def _row_count(model, columns: Mapping[str, Sequence]) -> int:
    lengths = {len(values) for values in columns.values()}
    if len(lengths) > 1:
        raise ValueError(f"insert_many: columns of different lengths {sorted(lengths)}")
    return lengths.pop() if lengths else 0


def _with_defaults(model, columns: Iterable[str], same: Mapping[str, object] | None) -> dict:
    """``same`` plus the default of every field given neither way; checks the names and types."""
    same, columns = dict(same or {}), list(columns)
    fields = {f.attname: f for f in model._meta.concrete_fields}
    unknown = (set(columns) | set(same)) - set(fields)
    if unknown:
        raise ValueError(f"insert_many: {model.__name__} has no fields {sorted(unknown)}")
    now = timezone.now()
    for attname, field in fields.items():
        if attname in columns or attname in same or field.primary_key:
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            same[attname] = now
        else:
            same[attname] = field.get_default()
    for attname in columns:
        if not written_as_given(fields[attname]):
            kind = type(fields[attname]).__name__
            raise TypeError(f"insert_many: {model.__name__}.{attname} ({kind}) can only be a shared value")
    return same
