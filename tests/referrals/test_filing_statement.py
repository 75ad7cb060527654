"""The filing's one statement (referrals.services.filing_statement._filing_sql, PostgreSQL): the
same rows as the ORM writes them, and the same refusal of a reference two filings race for."""

from datetime import date

import pytest
from django.db import connection

from foodbank import crypto
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

# The columns that differ between two filings by construction, each with why. Everything else is
# compared column by column as stored (``values()``: every column, ``editable=False`` ones such as
# ``phone_index`` and ``anonymised_at`` included; encrypted columns come back decrypted, since their
# ciphertexts differ by the random nonce; the ciphertext itself is checked in the test).
SKIP = {
    "id": "each row its own primary key",
    "recipient_id": "the link to this filing's recipient (checked in the test)",
    "request_id": "the event's link to this filing's request",
    "delivery_request_id": "the consent's link to this filing's request (checked in the test)",
    "object_id": "the audit row names this filing's request (checked in the test)",
    "subject_id": "the audit row names this filing's recipient (checked in the test)",
    "client_reference": "the two filings are given different references (ORM-1, ONE-1)",
    "xid": "the writing transaction's id (the changes feed's order), not the filing's content",
    "created_at": "written at the filing's time",
    "submitted_at": "written at the filing's time",
    "status_changed_at": "written at the filing's time",
    "at": "written at the filing's time",
    "recorded_at": "written at the filing's time",
    "decided_at": "written at the filing's time",
}


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
    """Every row of a filing as stored, every column (read back, decrypted), less ``SKIP``."""

    def plain(rows) -> list[dict]:
        return [{k: v for k, v in row.items() if k not in SKIP} for row in rows.order_by("pk").values()]

    return {
        "recipient": plain(Recipient.objects.filter(pk=request.recipient_id)),
        "request": plain(DeliveryRequest.objects.filter(pk=request.pk)),
        "events": plain(DeliveryRequestEvent.objects.filter(request=request)),
        "consents": plain(ConsentRecord.objects.filter(delivery_request=request)),
        "audit": plain(AuditEvent.objects.filter(object_type="delivery_request", object_id=str(request.pk))),
    }


def _stored_phone(recipient_id: int) -> str:
    """The phone column as in the table, not decrypted."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM referrals_recipient WHERE id = %s", [recipient_id])
        return cursor.fetchone()[0]


def test_the_one_statement_writes_the_rows_the_orm_writes(network, case_worker_a):
    by_orm = _filed(filing._file_with_orm, case_worker_a, network.agency_a, "ORM-1")
    outbox_before = OutboxMessage.objects.count()
    by_statement = _filed(_one_statement, case_worker_a, network.agency_a, "ONE-1")

    rows = _rows(by_statement)
    assert rows == _rows(by_orm)
    # the phone is stored encrypted on both paths (``foodbank.crypto``: ``v1:<key id>:…``), each
    # ciphertext decrypting to the number, and found through the same non-empty blind index
    phones = {path: _stored_phone(r.recipient_id) for path, r in (("orm", by_orm), ("one", by_statement))}
    for ciphertext in phones.values():
        assert ciphertext.startswith(f"{crypto.PREFIX}:")
        assert crypto.decrypt(ciphertext) == rows["recipient"][0]["phone"] != ""
    assert phones["orm"] != phones["one"]  # a random nonce each time
    indexes = {
        Recipient.objects.filter(pk=r.recipient_id).values_list("phone_index", flat=True).get()
        for r in (by_orm, by_statement)
    }
    assert indexes == {crypto.blind_index(rows["recipient"][0]["phone"])}
    assert rows["recipient"][0]["phone_index"] != ""
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
