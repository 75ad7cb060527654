"""Requests' and referrals' events, consent records and withdrawals are append-only in the database
too (``foodbank/append_only.py``). Retention may empty the columns that hold personal data."""

from django.db import migrations

from foodbank.append_only import AppendOnlyTrigger


class Migration(migrations.Migration):
    dependencies = [
        ("referrals", "0008_request_event_corrected_fields"),
        ("foodbank", "0008_append_only_mechanism"),
    ]

    operations = [
        AppendOnlyTrigger("referrals_deliveryrequestevent", erasable=["note"]),
        AppendOnlyTrigger("referrals_referralevent", erasable=["note"]),
        AppendOnlyTrigger("referrals_consentrecord", erasable=["witness_name", "guardian_name"]),
        AppendOnlyTrigger("referrals_consentwithdrawal"),
    ]
