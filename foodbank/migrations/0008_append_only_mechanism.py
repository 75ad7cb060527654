"""One append-only mechanism for every app: the ``foodbank_append_only`` trigger function
(``foodbank/append_only.py``), here put on the audit tables in place of their own function."""

import importlib

from django.db import migrations

from foodbank.append_only import DROP_FUNCTION, FUNCTION, AppendOnlyTrigger

# The audit tables' own trigger function (0003), replaced by the shared one.
previous = importlib.import_module("foodbank.migrations.0003_append_only_audit")


def create_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION, params=None)


def drop_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_FUNCTION)


class Migration(migrations.Migration):
    dependencies = [("foodbank", "0007_membership_network_role")]

    operations = [
        migrations.RunPython(create_function, drop_function, elidable=False),
        migrations.RunPython(previous.backwards, previous.forwards, elidable=False),
        AppendOnlyTrigger("foodbank_auditevent"),
        AppendOnlyTrigger("foodbank_provisionrecord"),
    ]
