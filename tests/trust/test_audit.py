"""The audit log is append-only, searchable by coordinators of the food bank only, and exports
"who saw this person's data"; records of provision are kept and listed per person. Looking at
either is itself recorded."""

import csv
import io
from datetime import timedelta

import pytest
from django.db import DatabaseError, transaction
from django.utils import timezone

from foodbank import audit
from foodbank.models import AuditEvent, ProvisionRecord
from tests.helpers import is_postgres

pytestmark = pytest.mark.django_db

RECIPIENT = 4242


def _seen(actor, subject_id=RECIPIENT, action=AuditEvent.Action.VIEW, **kwargs):
    return audit.record(
        actor=actor,
        action=action,
        object_type="delivery_request",
        object_id=subject_id * 10,
        subject_id=subject_id,
        **kwargs,
    )


# --- Append-only ------------------------------------------------------------------------------------


@pytest.mark.postgres
def test_the_database_refuses_to_change_or_delete_an_audit_event(coordinator):
    event = _seen(coordinator)

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="change")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()

    assert AuditEvent.objects.get(pk=event.pk).action == "view"


@pytest.mark.postgres
def test_the_database_refuses_to_change_a_record_of_provision(network, coordinator):
    audit.record_provision(
        food_bank_id=network.food_bank.pk,
        subject_ids=[RECIPIENT],
        recipient_organisation=network.agency_a,
        data_categories=["name"],
        basis="consent",
        trigger_type="referral",
        trigger_id=1,
    )

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        ProvisionRecord.objects.update(recipient_name="someone else")

    assert ProvisionRecord.objects.get().recipient_name == "小樽市社協"


def test_an_event_takes_the_actors_food_bank(network, window_staff_a):
    assert _seen(window_staff_a).food_bank_id == network.food_bank.pk


def _stored(event: AuditEvent) -> dict:
    """Every column of the event's row as the database holds it (not as the model reads it)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {AuditEvent._meta.db_table} WHERE id = %s", [event.pk])  # noqa: S608
        names = [column[0] for column in cursor.description]
        return dict(zip(names, cursor.fetchone(), strict=True))


def test_record_writes_the_row_the_orm_writes(network, window_staff_a, monkeypatch, rf):
    # ``record`` writes with an INSERT of its own on PostgreSQL (docs/benchmarks.md): every column
    # must hold what the ORM's save of the same event holds (the time default, the JSON, the
    # address in its normal form, the tenant, the role), and the event comes back saved.
    request = rf.get("/api/v1/delivery-requests/7/", REMOTE_ADDR="2001:0DB8:0000:0000:0000:0000:0000:0001")
    now = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: now)
    kwargs = {
        "actor": window_staff_a,
        "action": AuditEvent.Action.EXPORT,
        "object_type": "delivery_request",
        "object_id": 7,
        "subject_id": RECIPIENT,
        "request": request,
        "detail": {"fields": ["name", "address"], "subjects": [3, 12], "note": "é 日本", "n": 1.5},
    }

    recorded = audit.record(**kwargs)
    by_orm = audit.build(**kwargs)
    by_orm.save(force_insert=True)

    assert recorded.pk is not None
    assert recorded.pk != by_orm.pk
    assert not recorded._state.adding
    assert recorded._state.db == by_orm._state.db
    ours, theirs = _stored(recorded), _stored(by_orm)
    assert ours.pop("id") == recorded.pk
    assert theirs.pop("id") == by_orm.pk
    assert ours == theirs
    assert ours["ip_address"] == "2001:db8::1"
    assert ours["food_bank_id"] == network.food_bank.pk
    assert AuditEvent.objects.get(pk=recorded.pk).at == now
    # The instance returned holds what the ORM's saved instance holds (its own id).
    names = [f.attname for f in AuditEvent._meta.concrete_fields if not f.primary_key]
    assert [getattr(recorded, n) for n in names] == [getattr(by_orm, n) for n in names]


def test_record_without_a_request_or_actor_writes_the_row_the_orm_writes(monkeypatch):
    now = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: now)
    kwargs = {"actor": None, "action": AuditEvent.Action.VIEW, "object_type": "recipient", "object_id": 9}

    recorded = audit.record(**kwargs)
    by_orm = audit.build(**kwargs)
    by_orm.save(force_insert=True)

    ours, theirs = _stored(recorded), _stored(by_orm)
    del ours["id"], theirs["id"]
    assert ours == theirs
    # (Django has psycopg read jsonb as its text.)
    assert (ours["actor_id"], ours["ip_address"], ours["path"], ours["detail"]) == (None, None, "", "{}")


@pytest.mark.postgres
def test_a_failed_record_marks_the_transaction_for_rollback(coordinator):
    # As the ORM's save does: an error inside an atomic block leaves it to be rolled back.
    with transaction.atomic():
        with pytest.raises(DatabaseError):
            # An object type longer than its column.
            audit.record(actor=coordinator, action="view", object_type="x" * 65, object_id=1)
        assert transaction.get_rollback()


# --- The search page --------------------------------------------------------------------------------


def test_coordinator_searches_by_recipient_within_their_food_bank(
    client, network, coordinator, window_staff_a, other_coordinator
):
    # Given events about two people, and one in another food bank
    mine = _seen(window_staff_a)
    _seen(window_staff_a, subject_id=7)
    _seen(other_coordinator)
    client.force_login(coordinator)

    # When the coordinator searches for one person
    response = client.get("/audit/", {"subject": RECIPIENT})

    # Then only that person's events of this food bank are listed
    assert response.status_code == 200
    page = response.context["page"]
    assert [e.pk for e in page.object_list] == [mine.pk]
    html = response.content.decode()
    assert "監査ログ" in html
    assert "window_a" in html


def test_search_filters_by_actor_action_and_dates(
    client, network, coordinator, window_staff_a, case_worker_a
):
    viewed = _seen(window_staff_a)
    _seen(case_worker_a)
    _seen(window_staff_a, action=AuditEvent.Action.EXPORT)
    client.force_login(coordinator)
    today = timezone.localdate()

    response = client.get(
        "/audit/",
        {
            "actor": "window_a",
            "action": "view",
            "date_from": (today - timedelta(days=1)).isoformat(),
            "date_to": today.isoformat(),
        },
    )
    tomorrow = client.get("/audit/", {"date_from": (today + timedelta(days=1)).isoformat()})

    assert [e.pk for e in response.context["page"].object_list] == [viewed.pk]
    assert tomorrow.context["page"].paginator.count == 0


def test_search_is_paginated(client, network, coordinator, window_staff_a):
    for _ in range(51):
        _seen(window_staff_a)
    client.force_login(coordinator)

    first = client.get("/audit/", {"subject": RECIPIENT})
    second = client.get("/audit/", {"subject": RECIPIENT, "page": 2})

    assert len(first.context["page"].object_list) == 50
    # 51 events, and the first search itself (it was about this person)
    assert len(second.context["page"].object_list) == 2
    assert "page=2" in first.content.decode()


def test_viewing_the_audit_log_is_itself_recorded(client, network, coordinator):
    client.force_login(coordinator)

    client.get("/audit/", {"subject": RECIPIENT, "action": "view"})

    event = AuditEvent.objects.get(object_type="audit_log")
    assert (event.actor, event.action, event.subject_id, event.food_bank_id) == (
        coordinator,
        "view",
        RECIPIENT,
        network.food_bank.pk,
    )
    assert event.detail == {"filters": ["action", "subject"], "page": 1}
    assert event.path == "/audit/"


@pytest.mark.parametrize("role", ["window_staff_a", "case_worker_a", "volunteer", "integration"])
def test_other_roles_may_not_open_the_audit_pages(client, network, role, request):
    client.force_login(request.getfixturevalue(role))

    for path in (
        "/audit/",
        f"/audit/export.csv?subject={RECIPIENT}",
        f"/audit/provisions/?subject={RECIPIENT}",
    ):
        assert client.get(path).status_code == 403
    assert not AuditEvent.objects.exists()


def test_the_audit_pages_need_a_login(client):
    response = client.get("/audit/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_an_invalid_date_range_shows_an_error_and_no_results(client, network, coordinator):
    client.force_login(coordinator)

    response = client.get("/audit/", {"date_from": "2026-05-02", "date_to": "2026-05-01"})

    assert response.status_code == 200
    assert response.context["page"] is None
    assert "開始日が終了日より後" in response.content.decode()


# --- Who saw this person's data -----------------------------------------------------------------------


def _csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def test_export_lists_everyone_who_saw_the_person_and_is_recorded(
    client, network, coordinator, window_staff_a, other_coordinator
):
    window_staff_a.first_name, window_staff_a.last_name = "花子", "=CMD"
    window_staff_a.save()
    first = _seen(window_staff_a)
    _seen(window_staff_a, subject_id=7)
    _seen(other_coordinator)
    client.force_login(coordinator)

    response = client.get("/audit/export.csv", {"subject": RECIPIENT})

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="access-log-recipient-4242-')
    rows = _csv_rows(response)
    assert rows[0] == [
        "at",
        "username",
        "name",
        "role",
        "action",
        "object_type",
        "object_id",
        "ip_address",
        "path",
    ]
    assert rows[1:] == [
        [
            timezone.localtime(first.at).isoformat(timespec="seconds"),
            "window_a",
            "花子 =CMD",
            "window_staff",
            "view",
            "delivery_request",
            "42420",
            "",
            "",
        ],
    ]
    export = AuditEvent.objects.get(action="export")
    assert (export.actor, export.object_type, export.subject_id, export.detail) == (
        coordinator,
        "audit_log",
        RECIPIENT,
        {"rows": 1},
    )


def test_export_needs_a_recipient_id(client, network, coordinator):
    client.force_login(coordinator)

    assert client.get("/audit/export.csv").status_code == 400
    assert not AuditEvent.objects.exists()


# --- Records of provision -----------------------------------------------------------------------------


def test_record_provision_is_idempotent_per_trigger(network, coordinator):
    kwargs = {
        "food_bank_id": network.food_bank.pk,
        "subject_ids": [RECIPIENT, 7],
        "recipient_name": "ヤマト運輸",
        "data_categories": ["phone", "name", "address"],
        "basis": ProvisionRecord.Basis.ENTRUSTMENT,
        "trigger_type": "dispatch_batch",
        "trigger_id": 31,
        "provided_by": coordinator,
    }

    assert audit.record_provision(**kwargs) == 2
    assert audit.record_provision(**kwargs) == 0

    record = ProvisionRecord.objects.get(subject_id=RECIPIENT)
    assert record.data_categories == ["address", "name", "phone"]
    assert (record.recipient_name, record.basis, record.trigger_id, record.provided_by) == (
        "ヤマト運輸",
        "entrustment",
        "31",
        coordinator,
    )


def test_record_provision_refuses_an_unknown_basis(network):
    with pytest.raises(ValueError, match="basis"):
        audit.record_provision(
            food_bank_id=network.food_bank.pk,
            subject_ids=[1],
            recipient_name="x",
            data_categories=["name"],
            basis="because",
            trigger_type="referral",
            trigger_id=1,
        )
    assert not ProvisionRecord.objects.exists()


def _provide(network, *, food_bank=None, subject=RECIPIENT, trigger_id=1):
    audit.record_provision(
        food_bank_id=(food_bank or network.food_bank).pk,
        subject_ids=[subject],
        recipient_organisation=network.agency_b,
        data_categories=["name", "phone", "situation"],
        basis="consent",
        trigger_type="referral",
        trigger_id=trigger_id,
    )


def test_provision_records_are_listed_per_person_and_the_view_is_recorded(client, network, coordinator):
    _provide(network)
    _provide(network, subject=7, trigger_id=2)
    _provide(network, food_bank=network.other_food_bank, trigger_id=3)
    client.force_login(coordinator)

    response = client.get("/audit/provisions/", {"subject": RECIPIENT})

    assert response.status_code == 200
    records = response.context["records"]
    assert [(r.subject_id, r.trigger_id) for r in records] == [(RECIPIENT, "1")]
    html = response.content.decode()
    assert "旭川市自立サポート" in html
    assert "本人の同意" in html
    event = AuditEvent.objects.get()
    assert (event.action, event.object_type, event.subject_id) == ("view", "provision_records", RECIPIENT)


def test_provision_records_export_as_csv(client, network, coordinator):
    _provide(network)
    client.force_login(coordinator)

    response = client.get("/audit/provisions/", {"subject": RECIPIENT, "format": "csv"})

    rows = _csv_rows(response)
    assert rows[0][:5] == ["provided_at", "provided_to", "organisation_id", "data_categories", "basis"]
    assert rows[1][1:] == [
        "旭川市自立サポート",
        str(network.agency_b.pk),
        "name phone situation",
        "consent",
        "",
        "referral",
        "1",
    ]
    assert AuditEvent.objects.get().action == "export"


def test_start_page_links_coordinators_to_the_audit_pages(client, network, coordinator):
    client.force_login(coordinator)

    html = client.get("/").content.decode()

    assert 'href="/audit/"' in html
    assert 'href="/audit/provisions/"' in html


def test_is_postgres_helper_matches_the_connection():
    from django.db import connection

    assert is_postgres() == (connection.vendor == "postgresql")


@pytest.mark.parametrize(
    ("proxies", "expected"),
    [(0, "127.0.0.1"), (1, "203.0.113.9"), (2, "192.0.2.1"), (5, "192.0.2.1")],
)
def test_events_record_the_client_address_behind_trusted_proxies(
    client, network, coordinator, settings, proxies, expected
):
    # Given a client behind a chain of proxies, the leftmost entry possibly forged
    settings.TRUSTED_PROXY_COUNT = proxies
    client.force_login(coordinator)

    client.get("/audit/", HTTP_X_FORWARDED_FOR="192.0.2.1, 203.0.113.9")

    assert AuditEvent.objects.get().ip_address == expected
