"""One append-only mechanism (foodbank/append_only.py): the database trigger on every append-only
model's table, and the Python guard that names the model."""

import pytest
from django.apps import apps
from django.db import DatabaseError, connection, transaction

from foodbank import audit
from foodbank.append_only import AppendOnlyError, AppendOnlyModel, AppendOnlyTrigger
from foodbank.models import AuditEvent

pytestmark = pytest.mark.django_db


def _append_only_models() -> list[type[AppendOnlyModel]]:
    return [m for m in apps.get_models() if issubclass(m, AppendOnlyModel)]


def test_the_ledger_audit_and_event_tables_are_append_only_models():
    tables = {m._meta.db_table for m in _append_only_models()}

    assert {
        "inventory_stockmovement",
        "foodbank_auditevent",
        "foodbank_provisionrecord",
        "shipping_parcelevent",
        "referrals_deliveryrequestevent",
        "referrals_referralevent",
        "referrals_consentrecord",
        "referrals_consentwithdrawal",
    } <= tables


@pytest.mark.postgres
def test_every_append_only_model_has_the_trigger_in_the_database():
    # A new append-only model without an AppendOnlyTrigger in its migrations fails here.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "JOIN pg_proc p ON p.oid = t.tgfoid "
            "WHERE p.proname = 'foodbank_append_only' AND t.tgenabled = 'O' "
            "AND t.tgname = c.relname || '_append_only'"
        )
        guarded = {row[0] for row in cursor.fetchall()}

    assert {m._meta.db_table for m in _append_only_models()} - guarded == set()


def test_the_python_guard_names_the_model(coordinator):
    stored = audit.record(
        actor=coordinator, action=AuditEvent.Action.VIEW, object_type="recipient", object_id=1
    )
    event = AuditEvent.objects.get(pk=stored.pk)
    event.action = AuditEvent.Action.CHANGE

    with pytest.raises(AppendOnlyError, match="AuditEvent rows are append-only"):
        event.save()
    with pytest.raises(AppendOnlyError, match="AuditEvent rows are append-only"):
        event.delete()

    assert AuditEvent.objects.get(pk=event.pk).action == AuditEvent.Action.VIEW


@pytest.mark.postgres
def test_the_trigger_refuses_changes_and_deletes_and_lets_erasure_through():
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE scratch_log (id serial PRIMARY KEY, what text NOT NULL, "
            "note text NOT NULL DEFAULT '', by_id integer)"
        )
        with connection.schema_editor(atomic=False) as editor:
            AppendOnlyTrigger("scratch_log", erasable=["note", "by_id"]).database_forwards(
                "tests", editor, None, None
            )
        cursor.execute("INSERT INTO scratch_log (what, note, by_id) VALUES ('handed over', 'a note', 7)")

        for statement, message in [
            ("UPDATE scratch_log SET what = 'lost'", "append-only: UPDATE refused"),
            ("UPDATE scratch_log SET note = 'another note'", "note may only be erased"),
            ("UPDATE scratch_log SET note = '', what = 'lost'", "append-only: UPDATE refused"),
            ("DELETE FROM scratch_log", "append-only: DELETE refused"),
        ]:
            with pytest.raises(DatabaseError, match=message), transaction.atomic():
                cursor.execute(statement)

        # Erasure (retention): the erasable columns emptied, nothing else touched
        cursor.execute("UPDATE scratch_log SET note = '', by_id = NULL")
        cursor.execute("SELECT what, note, by_id FROM scratch_log")
        assert cursor.fetchall() == [("handed over", "", None)]
