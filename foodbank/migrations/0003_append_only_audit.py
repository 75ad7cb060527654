"""Audit events and records of provision are append-only in the database too.

On PostgreSQL a trigger refuses every UPDATE and DELETE of ``foodbank_auditevent`` and
``foodbank_provisionrecord``, whatever code (or an admin in psql) tries it. TRUNCATE is left to the
table owner (the test runner empties tables with it). SQLite has no such need: a no-op there.
"""

from django.db import migrations

TABLES = ("foodbank_auditevent", "foodbank_provisionrecord")

CREATE_FUNCTION = """
CREATE OR REPLACE FUNCTION foodbank_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # No parameters: the % signs belong to RAISE, not to the driver.
    schema_editor.execute(CREATE_FUNCTION, params=None)
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION foodbank_refuse_change()"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS foodbank_refuse_change()")


class Migration(migrations.Migration):
    dependencies = [("foodbank", "0002_api_tokens_provision_records")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
