"""Parcel events are append-only in the database too (``foodbank/append_only.py``). Retention may
empty a note; deleting a user empties ``by``."""

from django.db import migrations

from foodbank.append_only import AppendOnlyTrigger


class Migration(migrations.Migration):
    dependencies = [
        ("shipping", "0005_parcel_boxes"),
        ("foodbank", "0008_append_only_mechanism"),
    ]

    operations = [AppendOnlyTrigger("shipping_parcelevent", erasable=["note", "by_id"])]
