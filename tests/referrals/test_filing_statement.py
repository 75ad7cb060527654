"""The filing's one statement (referrals.services.delivery_requests._filing_sql, PostgreSQL): the
same rows as the ORM writes them, and the same refusal of a reference two filings race for."""

from datetime import date

import pytest
from django.db import connection
from django.forms.models import model_to_dict

from foodbank.models import AuditEvent, OutboxMessage
from referrals import services
from referrals.exceptions import DuplicateClientReference
from referrals.models import ConsentRecord, DeliveryRequest, DeliveryRequestEvent, Recipient
from referrals.services import delivery_requests as filing

from .factories import recipient_input

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the one statement is PostgreSQL's"),
]

# Ids, times and the links between the rows differ between two filings by construction.
SKIP = {"id", "recipient", "delivery_request", "request", "created_at", "submitted_at", "status_changed_at"}
SKIP |= {"at", "recorded_at", "decided_at", "object_id", "subject_id", "client_reference", "xid"}


def _filed(file, case_worker, agency, reference: str) -> DeliveryRequest:
    return file(
        filed_by=case_worker,
        agency=agency,
        food_bank_id=agency.food_bank_id_for_scope,
        recipient=recipient_input(building="花園ハイツ101"),
        household=services.HouseholdInput(type="single_parent", adults=1, children=2, children_ages=[4, 9]),
        needs=services.NeedsInput(
            situation_category="welfare_pending",
            situation_note="生活保護申請中",
            no_food_today=True,
            days_needed=5,
            cooking={"gas": True, "kettle": True},
            allergies="えび",
            allergens=["shrimp", "egg"],
            dietary_note="たんぱく質多めに",
            extras=[{"item": "diapers", "size": "M", "quantity": 2, "note": ""}],
            delivery_date=date(2030, 1, 8),
            time_slot="1416",
        ),
        consents=[
            services.ConsentInput(purpose=ConsentRecord.Purpose.SHARE_WITH_FOODBANK),
            services.ConsentInput(
                purpose=ConsentRecord.Purpose.REFERRAL,
                method="verbal",
                witness_name="佐藤",
                by_guardian=True,
                guardian_name="山田 一郎",
            ),
            services.ConsentInput(purpose=ConsentRecord.Purpose.PHONE_CONTACT, decision="refused"),
        ],
        client_reference=reference,
    )


def _one_statement(**kwargs) -> DeliveryRequest:
    kwargs.pop("food_bank_id")
    return services.file_delivery_request(**kwargs)


def _rows(request: DeliveryRequest) -> dict:
    """Every row of a filing as stored (read back, decrypted), less what differs by construction."""

    def plain(obj) -> dict:
        return {k: v for k, v in model_to_dict(obj).items() if k not in SKIP}

    return {
        "recipient": plain(Recipient.objects.get(pk=request.recipient_id)),
        "request": plain(DeliveryRequest.objects.get(pk=request.pk)),
        "events": [plain(e) for e in DeliveryRequestEvent.objects.filter(request=request)],
        "consents": [plain(c) for c in ConsentRecord.objects.filter(delivery_request=request).order_by("pk")],
        "audit": [
            plain(a)
            for a in AuditEvent.objects.filter(object_type="delivery_request", object_id=str(request.pk))
        ],
    }


def test_the_one_statement_writes_the_rows_the_orm_writes(network, case_worker_a):
    by_orm = _filed(filing._file_with_orm, case_worker_a, network.agency_a, "ORM-1")
    outbox_before = OutboxMessage.objects.count()
    by_statement = _filed(_one_statement, case_worker_a, network.agency_a, "ONE-1")

    assert _rows(by_statement) == _rows(by_orm)
    # and the links, ids and times are those of this filing
    stored = DeliveryRequest.objects.get(pk=by_statement.pk)
    assert stored.client_reference == "ONE-1"
    assert by_statement.recipient_id == stored.recipient_id
    audit_row = AuditEvent.objects.get(object_type="delivery_request", object_id=str(stored.pk))
    assert audit_row.subject_id == stored.recipient_id
    assert audit_row.action == AuditEvent.Action.CREATE
    consents = ConsentRecord.objects.filter(delivery_request=stored).order_by("pk")
    assert [c.purpose for c in consents] == ["share_with_foodbank", "referral", "phone_contact"]
    assert {c.recipient_id for c in consents} == {stored.recipient_id}
    # one outbox message tells the webhooks, as announce_changes does
    assert OutboxMessage.objects.count() == outbox_before + 1
    assert OutboxMessage.objects.latest("pk").task_name == "webhooks.fan_out"
    # the instances returned are the stored rows (the answer is rendered from them)
    assert by_statement.recipient.pk == stored.recipient_id
    assert by_statement.submitted_at == stored.submitted_at


def test_a_reference_raced_for_is_refused_by_the_constraint_and_nothing_is_written(
    network, case_worker_a, monkeypatch
):
    _filed(_one_statement, case_worker_a, network.agency_a, "CASE-9")
    counts = (Recipient.objects.count(), DeliveryRequest.objects.count(), ConsentRecord.objects.count())
    # The second filing passes the check before the statement, as a concurrent one would
    monkeypatch.setattr("django.db.models.query.QuerySet.exists", lambda self: False)

    with pytest.raises(DuplicateClientReference):
        _filed(_one_statement, case_worker_a, network.agency_a, "CASE-9")

    monkeypatch.undo()
    assert (
        Recipient.objects.count(),
        DeliveryRequest.objects.count(),
        ConsentRecord.objects.count(),
    ) == counts
