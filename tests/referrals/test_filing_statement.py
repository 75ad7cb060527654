"""The filing's one statement (referrals.services.filing_statement._filing_sql, PostgreSQL): the
same rows as the ORM writes them, the same refusal of a reference used already, the same values
where it skips a field's preparation, and, outside a test's transaction, the COMMIT and the
Idempotency-Key's completion sent with it (followed on the wire)."""

import json
import warnings
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from datetime import timezone as tz

import pytest
from django.db import connection
from django.utils.translation import gettext_lazy
from psycopg import pq

from foodbank import crypto
from foodbank.models import AuditEvent, IdempotencyKey, OutboxMessage
from referrals import services
from referrals.exceptions import DuplicateClientReference
from referrals.models import ConsentRecord, DeliveryRequest, DeliveryRequestEvent, Recipient
from referrals.services import delivery_requests as filing
from referrals.services.filing_statement import _row
from tests.wire import bound_on, sent_to_server

from .factories import body, recipient_input

URL = "/api/v1/delivery-requests/"

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.binding,
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


def test_a_reference_used_already_is_refused_by_the_constraint_and_nothing_is_written(network, case_worker_a):
    # The statement does not look the reference up first: the unique constraint refuses it, as it
    # refuses two filings racing for one reference.
    _filed(_one_statement, case_worker_a, network.agency_a, "CASE-9")
    counts = (Recipient.objects.count(), DeliveryRequest.objects.count(), ConsentRecord.objects.count())

    with pytest.raises(DuplicateClientReference):
        _filed(_one_statement, case_worker_a, network.agency_a, "CASE-9")

    assert (
        Recipient.objects.count(),
        DeliveryRequest.objects.count(),
        ConsentRecord.objects.count(),
    ) == counts


def test_a_value_taken_as_it_is_is_what_its_field_would_write():
    """``_row`` skips the field's preparation only where it would change nothing: an aware time, a
    date, a choice (a str subclass). A naive time, a time given for a date and a number given for
    text still go through their field, as the ORM would write them."""
    aware = datetime(2030, 1, 8, 23, 30, tzinfo=UTC)
    request = DeliveryRequest(
        status=DeliveryRequest.Status.SUBMITTED,
        approved_at=aware,
        shipped_at=datetime(2030, 1, 8, 9, 0),  # noqa: DTZ001 naive: the field makes it aware, with a warning
        delivery_date=aware,  # a time for a date: the field takes its date in Japan's time
        programme_month=date(2030, 1, 1),
        client_reference=12,  # not text: the field makes it text
    )
    with pytest.warns(RuntimeWarning, match="naive datetime"):
        row = _row(request, ("recipient_id",))
    # Values of other types go through their field as well
    odd = DeliveryRequest(
        situation_note=DeliveryRequest.Status.SUBMITTED,  # a str subclass, in an encrypted column
        dietary_note=gettext_lazy("Submitted"),  # a lazy string: not a str
        days_needed=True,  # a bool in an integer column
        no_food_today=1,  # a number in a boolean column
        status_changed_at=date(2030, 1, 8),  # a date in a time column (pre_save: auto_now_add)
        approved_at=date(2030, 1, 8),  # a date in a time column
    )
    with pytest.warns(RuntimeWarning, match="naive datetime"):
        other = _row(odd, ("recipient_id",))
    assert crypto.decrypt(other["situation_note"]) == "submitted"
    assert crypto.decrypt(other["dietary_note"]) == str(gettext_lazy("Submitted"))
    assert json.dumps(other["days_needed"]) == "1"  # not true: PostgreSQL casts it to the integer
    assert other["no_food_today"] is True
    assert other["approved_at"] == datetime(2030, 1, 8, tzinfo=tz(timedelta(hours=9)))
    assert isinstance(other["status_changed_at"], datetime)  # auto_now_add: the filing's time

    assert row["status"] is DeliveryRequest.Status.SUBMITTED
    assert row["approved_at"] is aware
    assert row["shipped_at"] == datetime(2030, 1, 8, 9, 0, tzinfo=tz(timedelta(hours=9)))
    assert row["delivery_date"] == date(2030, 1, 9)
    assert row["programme_month"] == date(2030, 1, 1)
    assert row["client_reference"] == "12"
    for name in (
        "status",
        "approved_at",
        "shipped_at",
        "delivery_date",
        "programme_month",
        "client_reference",
    ):
        field = DeliveryRequest._meta.get_field(name)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            expected = field.get_db_prep_save(field.pre_save(request, True), connection)
        assert row[name] == expected, name


# Outside a test's transaction, the filing's statement is the transaction's last and goes with its
# COMMIT; with a key it completes the key itself (module docstring). Followed on the wire, once with
# each binding (the two send the COMMIT differently: tests/foodbank/test_transactions.py).


@pytest.fixture(params=["server", "client"])
def binding(request) -> Iterator[str]:
    with bound_on(request.param):
        yield request.param


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("key", ["fused-1", None])
def test_a_filing_commits_with_its_statement_and_the_key_is_completed_in_it(
    api, network, case_worker_a, key, binding
):
    client = api(case_worker_a)
    client.post(URL, body(), format="json")  # the token's first use records it (a write of its own)
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}

    # (with a key, also a reference of the agency's: refused by the constraint, not looked up first)
    filing = body(client_reference="REF-1") if key else body()
    with sent_to_server() as sent:
        response = client.post(URL, filing, format="json", **headers)

    # The token; BEGIN; with a key its claim; the filing (with a key completing it) and the COMMIT
    # in one round trip; then, after the commit, the outbox's claim and mark of the announcement
    # (sent from the committing thread here; a web process's background sender batches them).
    assert response.status_code == 201, response.content
    trips = sent[: 4 if key else 3]
    assert trips[0].startswith("SELECT")
    assert trips[1] == "BEGIN"
    if key:
        assert trips[2].startswith('INSERT INTO "foodbank_idempotencykey"')
    assert trips[-1].startswith('WITH r AS (INSERT INTO "referrals_recipient"')
    assert ('idempotency_completed AS (UPDATE "foodbank_idempotencykey"' in trips[-1]) == bool(key)
    assert trips[-1].endswith("; COMMIT")
    assert [trip.split(" ", 2)[:2] for trip in sent[len(trips) :]] == [
        ["UPDATE", '"foodbank_outboxmessage"']
    ] * 2
    assert "COMMIT" not in sent
    assert connection.connection.pgconn.transaction_status == pq.TransactionStatus.IDLE

    # Everything is stored, and the announcement was handed over after the commit
    filed = DeliveryRequest.objects.get(pk=response.json()["id"])
    assert filed.recipient.name == response.json()["recipient"]["name"]
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()
    if key:
        stored = IdempotencyKey.objects.get(key=key)
        assert (stored.state, stored.resource_id, stored.response_status, stored.locked_until) == (
            IdempotencyKey.State.COMPLETED,
            filed.pk,
            201,
            None,
        )
        replayed = client.post(URL, filing, format="json", **headers)
        assert replayed.headers["Idempotent-Replayed"] == "true"
        assert replayed.json() == response.json()
        assert DeliveryRequest.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_refused_statement_commits_nothing_and_releases_the_key(api, network, case_worker_a, binding):
    client = api(case_worker_a)
    first = client.post(URL, body(client_reference="CASE-7"), format="json")
    assert first.status_code == 201, first.content
    before = (Recipient.objects.count(), DeliveryRequest.objects.count(), AuditEvent.objects.count())

    # When a filing reuses the agency's reference with a key: its one statement, completing the key
    # and sent with the COMMIT, is refused by the unique constraint
    with sent_to_server() as sent:
        refused = client.post(
            URL, body(client_reference="CASE-7"), format="json", HTTP_IDEMPOTENCY_KEY="raced"
        )

    assert 'idempotency_completed AS (UPDATE "foodbank_idempotencykey"' in sent[3]
    assert sent[3].endswith("; COMMIT")
    assert sent[4:] == ["ROLLBACK"]
    # Then the case worker is told why, nothing is stored, and the key is free for a corrected retry
    assert refused.status_code == 409
    assert refused.json()["code"] == "duplicate_client_reference"
    assert connection.connection.pgconn.transaction_status == pq.TransactionStatus.IDLE
    assert (Recipient.objects.count(), DeliveryRequest.objects.count(), AuditEvent.objects.count()) == before
    assert not IdempotencyKey.objects.filter(key="raced").exists()
    retried = client.post(URL, body(client_reference="CASE-8"), format="json", HTTP_IDEMPOTENCY_KEY="raced")
    assert retried.status_code == 201, retried.content
