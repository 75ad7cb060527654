"""The ledger is append-only: the database refuses to change a stock movement (and, on PostgreSQL, to
delete one). A correction is a new, reversing movement.

SQLite keeps DELETE allowed because Django's test flush empties tables with DELETE; PostgreSQL
flushes with TRUNCATE, which row triggers do not see.
"""

from django.db import migrations

PG_FORWARD = [
    """
    CREATE FUNCTION inventory_stockmovement_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'inventory_stockmovement is append-only: add a reversing movement instead';
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER inventory_stockmovement_append_only
        BEFORE UPDATE OR DELETE ON inventory_stockmovement
        FOR EACH ROW EXECUTE FUNCTION inventory_stockmovement_append_only()
    """,
]
PG_BACKWARD = [
    "DROP TRIGGER IF EXISTS inventory_stockmovement_append_only ON inventory_stockmovement",
    "DROP FUNCTION IF EXISTS inventory_stockmovement_append_only()",
]
SQLITE_FORWARD = [
    """
    CREATE TRIGGER inventory_stockmovement_append_only BEFORE UPDATE ON inventory_stockmovement
    BEGIN
        SELECT RAISE(ABORT, 'inventory_stockmovement is append-only: add a reversing movement instead');
    END
    """
]
SQLITE_BACKWARD = ["DROP TRIGGER IF EXISTS inventory_stockmovement_append_only"]
STATEMENTS = {
    "postgresql": (PG_FORWARD, PG_BACKWARD),
    "sqlite": (SQLITE_FORWARD, SQLITE_BACKWARD),
}


def forward(apps, schema_editor):
    for statement in STATEMENTS.get(schema_editor.connection.vendor, ([], []))[0]:
        schema_editor.execute(statement, params=None)


def backward(apps, schema_editor):
    for statement in STATEMENTS.get(schema_editor.connection.vendor, ([], []))[1]:
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("inventory", "0001_initial")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
