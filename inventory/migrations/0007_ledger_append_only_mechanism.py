"""The ledger's append-only trigger is the shared one (``foodbank/append_only.py``) instead of its
own function (0002)."""

import importlib

from django.db import migrations

from foodbank.append_only import AppendOnlyTrigger

previous = importlib.import_module("inventory.migrations.0002_ledger_append_only")


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0006_pack_sizing_and_returned_reason"),
        ("foodbank", "0008_append_only_mechanism"),
    ]

    operations = [
        migrations.RunPython(previous.backward, previous.forward, elidable=False),
        AppendOnlyTrigger("inventory_stockmovement"),
    ]
