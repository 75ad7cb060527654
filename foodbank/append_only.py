"""Append-only rows, one mechanism for every app (ARCHITECTURE.md, "Append-only rows").

A row that records what happened (a ledger movement, an audit event, a request's or a parcel's
event, a consent decision) is written once. Two guards, one rule:

- ``AppendOnlyModel``: the Python guard. ``save()`` of a stored row and ``delete()`` raise
  ``AppendOnlyError`` naming the model, so a mistake fails where it is made, with a clear message.
- ``AppendOnlyTrigger``: the database's guard, for what goes around the model (``QuerySet.update``,
  ``QuerySet.delete``, a psql session). On PostgreSQL one trigger function,
  ``foodbank_append_only``, refuses UPDATE and DELETE. It lets one UPDATE through: emptying the
  columns a table names as *erasable*, which is how retention erases personal data from a
  record it keeps (docs/privacy.md). TRUNCATE is left to the table owner: the test runner empties
  tables with it. SQLite (the embedded demo) refuses UPDATE of tables without erasable columns
  and leaves DELETE to Django's test flush.
"""

from collections.abc import Sequence
from typing import Any

from django.db import models
from django.db.migrations.operations.base import Operation

FUNCTION = """
CREATE OR REPLACE FUNCTION foodbank_append_only() RETURNS trigger AS $$
DECLARE
    erasable text[] := COALESCE(TG_ARGV::text[], ARRAY[]::text[]);
    before jsonb;
    after jsonb;
    col text;
BEGIN
    IF TG_OP = 'UPDATE' AND cardinality(erasable) > 0 THEN
        before := to_jsonb(OLD);
        after := to_jsonb(NEW);
        -- Only erasable columns may change, and only to empty.
        IF (before - erasable) = (after - erasable) THEN
            FOREACH col IN ARRAY erasable LOOP
                IF (after ->> col) IS DISTINCT FROM (before ->> col)
                   AND COALESCE(after ->> col, '') <> '' THEN
                    RAISE EXCEPTION '% is append-only: % may only be erased', TG_TABLE_NAME, col;
                END IF;
            END LOOP;
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
END;
$$ LANGUAGE plpgsql;
"""
DROP_FUNCTION = "DROP FUNCTION IF EXISTS foodbank_append_only()"


class AppendOnlyError(TypeError):
    """A stored append-only row was about to be changed or deleted (a programming error)."""


class AppendOnlyModel(models.Model):
    """A row written once: saving it again or deleting it raises ``AppendOnlyError``.

    Pair it with an ``AppendOnlyTrigger`` in the model's migrations for the database's guard.
    """

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError(f"{type(self).__name__} rows are append-only: add a new row instead.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError(f"{type(self).__name__} rows are append-only: they are never deleted.")


def _trigger_name(table: str) -> str:
    return f"{table}_append_only"


class AppendOnlyTrigger(Operation):
    """Migration operation: the database refuses UPDATE and DELETE of ``table``'s rows.

    ``erasable``: columns that an UPDATE may empty (retention), and nothing else. Reversible. Needs
    the ``foodbank_append_only`` function (``foodbank`` migration 0008), so a migration using it
    depends on that one.
    """

    reversible = True
    reduces_to_sql = True

    def __init__(self, table: str, erasable: Sequence[str] = ()) -> None:
        self.table = table
        self.erasable = tuple(erasable)

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        kwargs: dict[str, Any] = {"table": self.table}
        if self.erasable:
            kwargs["erasable"] = list(self.erasable)
        return self.__class__.__name__, [], kwargs

    def state_forwards(self, app_label: str, state: Any) -> None:
        pass  # a trigger is not part of Django's model state

    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        name, table = _trigger_name(self.table), schema_editor.quote_name(self.table)
        vendor = schema_editor.connection.vendor
        if vendor == "postgresql":
            arguments = ", ".join(f"'{column}'" for column in self.erasable)
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            schema_editor.execute(
                f"CREATE TRIGGER {name} BEFORE UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION foodbank_append_only({arguments})"
            )
        elif vendor == "sqlite" and not self.erasable:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
            schema_editor.execute(
                f"CREATE TRIGGER {name} BEFORE UPDATE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{self.table} is append-only: UPDATE refused'); END"
            )

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        name, table = _trigger_name(self.table), schema_editor.quote_name(self.table)
        vendor = schema_editor.connection.vendor
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        elif vendor == "sqlite":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")

    def describe(self) -> str:
        return f"Make {self.table} append-only"

    @property
    def migration_name_fragment(self) -> str:
        return f"{self.table}_append_only"
