"""POST /api/v1/delivery-requests/: the body of docs/spec.md §4.1, validation per field, idempotency."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from foodbank.crypto import blind_index
from foodbank.models import AuditEvent, IdempotencyKey, Role
from foodbank.prepared import binds_client_side
from foodbank.services import grant_role
from referrals.models import ConsentRecord, DeliveryRequest, DeliveryRequestEvent, Recipient

from .factories import body, tomorrow

pytestmark = [pytest.mark.django_db, pytest.mark.binding]

URL = "/api/v1/delivery-requests/"


def _nothing_written():
    assert Recipient.objects.count() == 0
    assert DeliveryRequest.objects.count() == 0
    assert DeliveryRequestEvent.objects.count() == 0
    assert ConsentRecord.objects.count() == 0
    assert IdempotencyKey.objects.count() == 0


def test_case_worker_files_a_request(api, network, case_worker_a):
    # Given the body of docs/spec.md §4.1 with a delivery date tomorrow
    data = body(delivery_date=tomorrow())

    # When agency A's case worker posts it
    response = api(case_worker_a).post(URL, data, format="json")

    # Then it is submitted for agency A, in food bank fb
    assert response.status_code == 201, response.json()
    answer = response.json()
    assert answer["status"] == "submitted"
    assert answer["source"] == "agency"
    assert answer["agency"] == network.agency_a.pk
    request = DeliveryRequest.objects.get(pk=answer["id"])
    assert request.food_bank_id == network.food_bank.pk
    assert request.filed_by == case_worker_a
    # and the address was completed from Japan Post's data
    assert answer["recipient"] == {
        "id": request.recipient_id,
        "name": "山田 花子",
        "name_kana": "ヤマダ ハナコ",
        "phone": "090-1234-5678",
        "postal_code": "047-0024",
        "prefecture": "北海道",
        "municipality": "小樽市",
        "address": "花園2丁目6-7",
        "building": "花園ハイツ101",
    }
    person = request.recipient
    assert (person.municipality_code, person.regional_bureau) == ("01203", "shiribeshi")
    assert person.phone == "+819012345678"
    assert answer["household"] == {
        "type": "single_parent",
        "adults": 1,
        "children": 2,
        "children_ages": [4, 9],
        "infants": 1,
        "elderly": 0,
    }
    assert answer["situation"] == {
        "category": "welfare_pending",
        "note": "生活保護申請中、初回支給まで2週間",
        "no_food_today": False,
    }
    assert answer["cooking"] == {
        "gas": False,
        "electricity": True,
        "water": True,
        "microwave": True,
        "kettle": True,
        "portable_stove": False,
    }
    assert answer["no_cook"] is False
    assert answer["extras"] == [
        {"item": "diapers", "size": "M", "quantity": 1, "note": "", "if_in_stock": True},
        {"item": "formula", "size": "", "quantity": 1, "note": "", "if_in_stock": True},
    ]
    assert answer["delivery_date"] == tomorrow()
    assert answer["time_slot"] == "1416"
    assert answer["urgency"] == ["infants"]
    # and the first event says who filed it
    assert [(e["from_status"], e["to_status"], e["by"]) for e in answer["events"]] == [
        (None, "submitted", "caseworker_a")
    ]
    # and consent is two records of their own, not a flag on the request
    assert sorted((c.purpose, c.decision, c.method) for c in ConsentRecord.objects.all()) == [
        ("referral", "given", "signed_form"),
        ("share_with_foodbank", "given", "signed_form"),
    ]
    assert set(ConsentRecord.objects.values_list("recorded_by_organisation", flat=True)) == {
        network.agency_a.pk
    }
    # and the creation is in the audit log, without personal data
    created = AuditEvent.objects.get(action="create")
    assert (created.object_type, created.object_id, created.subject_id) == (
        "delivery_request",
        str(request.pk),
        person.pk,
    )


def test_minimal_body_defaults_to_seven_days_no_cooking_and_no_time_slot(api, case_worker_a):
    data = body()
    for key in ("cooking", "dietary", "extras", "delivery_date", "time_slot", "days_needed"):
        del data[key]

    response = api(case_worker_a).post(URL, data, format="json")

    assert response.status_code == 201, response.json()
    answer = response.json()
    assert answer["days_needed"] == 7
    # No cooking equipment given is "no cooking possible": no-cook food
    assert answer["no_cook"] is True
    assert answer["urgency"] == ["infants", "no_cook"]
    assert answer["time_slot"] == ""
    assert answer["delivery_date"] is None


def test_full_address_full_width_digits_and_today_are_accepted(api, case_worker_a):
    # Given what people type: the whole address, full-width digits, today's date
    data = body(
        recipient__phone="０９０−１２３４−５６７８",
        recipient__postal_code="〒０４７－００２４",
        recipient__address="北海道小樽市花園２丁目６−７",
        recipient__prefecture="北海道",
        recipient__municipality="小樽市",
        delivery_date=timezone.localdate().isoformat(),
        no_food_today=True,
    )
    data["situation"]["no_food_today"] = True

    response = api(case_worker_a).post(URL, data, format="json")

    assert response.status_code == 201, response.json()
    recipient = response.json()["recipient"]
    assert (recipient["phone"], recipient["postal_code"], recipient["address"]) == (
        "090-1234-5678",
        "047-0024",
        "花園2丁目6-7",
    )
    assert response.json()["urgency"] == ["no_food_today", "infants"]


BAD_INPUTS = [
    pytest.param(
        {"recipient__postal_code": "0000000"}, ["recipient", "postal_code"], id="unknown-postal-code"
    ),
    pytest.param(
        {"recipient__postal_code": "04700"}, ["recipient", "postal_code"], id="malformed-postal-code"
    ),
    pytest.param(
        {"recipient__postal_code": "100-0001", "recipient__prefecture": "北海道"},
        ["recipient", "postal_code"],
        id="postal-code-in-another-prefecture-than-given",
    ),
    pytest.param(
        {"recipient__prefecture": "東京都"},
        ["recipient", "prefecture"],
        id="prefecture-not-matching-postal-code",
    ),
    pytest.param(
        {"recipient__municipality": "札幌市中央区"},
        ["recipient", "municipality"],
        id="municipality-not-matching-postal-code",
    ),
    pytest.param({"recipient__phone": "12345"}, ["recipient", "phone"], id="invalid-phone"),
    pytest.param({"recipient__phone": "0120-123-456"}, ["recipient", "phone"], id="toll-free-phone"),
    pytest.param({"recipient__phone": "+1 202 555 0143"}, ["recipient", "phone"], id="foreign-phone"),
    pytest.param({"recipient__name": ""}, ["recipient", "name"], id="no-name"),
    pytest.param({"household__adults": -1}, ["household", "adults"], id="negative-adults"),
    pytest.param({"household__children": -1}, ["household", "children"], id="negative-children"),
    pytest.param({"household__infants": -1}, ["household", "infants"], id="negative-infants"),
    pytest.param({"household__elderly": -2}, ["household", "elderly"], id="negative-elderly"),
    pytest.param(
        {
            "household__adults": 0,
            "household__children": 0,
            "household__infants": 0,
            "household__children_ages": [],
        },
        ["household", "adults"],
        id="empty-household",
    ),
    pytest.param({"household__children_ages": [4]}, ["household", "children_ages"], id="ages-not-matching"),
    pytest.param({"household__type": "commune"}, ["household", "type"], id="unknown-household-type"),
    pytest.param({"situation__category": "bad_luck"}, ["situation", "category"], id="unknown-situation"),
    pytest.param({"time_slot": "1214"}, ["time_slot"], id="time-slot-yamato-does-not-offer"),
    pytest.param({"time_slot": "812"}, ["time_slot"], id="time-slot-without-leading-zero"),
    pytest.param({"delivery_date": "2020-01-01"}, ["delivery_date"], id="past-delivery-date"),
    pytest.param({"days_needed": 0}, ["days_needed"], id="zero-days"),
    pytest.param(
        {"consent__share_with_foodbank": False}, ["consent", "share_with_foodbank"], id="no-consent"
    ),
    pytest.param(
        {"consent__method": "verbal"}, ["consent", "witness_name"], id="verbal-consent-without-witness"
    ),
]


@pytest.mark.parametrize(("changes", "field_path"), BAD_INPUTS)
def test_bad_input_is_400_naming_the_field_and_writes_nothing(api, case_worker_a, changes, field_path):
    # Given a body with one bad value, sent with an idempotency key
    data = body(**changes)

    # When it is posted
    response = api(case_worker_a).post(URL, data, format="json", HTTP_IDEMPOTENCY_KEY="k-bad")

    # Then the answer names the field
    assert response.status_code == 400
    errors = response.json()
    for part in field_path:
        assert part in errors, errors
        errors = errors[part]
    assert isinstance(errors, list)
    assert errors
    # and nothing was written (the key is released for a corrected retry too)
    _nothing_written()


def test_yesterday_in_tokyo_is_in_the_past(api, case_worker_a):
    # timezone.localdate() is Asia/Tokyo (TIME_ZONE): the date the case worker sees on the wall.
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()

    response = api(case_worker_a).post(URL, body(delivery_date=yesterday), format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["delivery_date"]


def test_diapers_need_a_size_and_other_items_a_note(api, case_worker_a):
    data = body(extras=[{"item": "diapers", "quantity": 1}, {"item": "other", "quantity": 1}])

    response = api(case_worker_a).post(URL, data, format="json")

    assert response.status_code == 400
    assert list(response.json()["extras"]["0"]) == ["size"]
    assert list(response.json()["extras"]["1"]) == ["note"]
    _nothing_written()


def test_phone_and_sensitive_notes_are_not_in_clear_text_in_the_database(api, case_worker_a):
    # When a request is filed
    response = api(case_worker_a).post(URL, body(), format="json")
    assert response.status_code == 201
    request = DeliveryRequest.objects.get()

    # Then the raw columns hold ciphertext only
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT phone, phone_index FROM referrals_recipient WHERE id = %s", [request.recipient_id]
        )
        phone, phone_index = cursor.fetchone()
        cursor.execute(
            "SELECT situation_note, allergies, dietary_note FROM referrals_deliveryrequest WHERE id = %s",
            [request.pk],
        )
        situation, allergies, dietary = cursor.fetchone()
    for stored in (phone, situation, allergies, dietary):
        assert stored.startswith("v1:")
    for clear in ("9012345678", "090-1234-5678", "+819012345678"):
        assert clear not in phone
        assert clear not in phone_index
    assert "生活保護" not in situation
    assert "えび" not in allergies
    # and the number can still be found exactly, through the blind index
    assert list(Recipient.objects.filter(phone_index=blind_index("+819012345678"))) == [request.recipient]


def test_replay_with_the_same_key_returns_the_first_answer_and_creates_nothing(api, case_worker_a):
    client = api(case_worker_a)
    first = client.post(URL, body(), format="json", HTTP_IDEMPOTENCY_KEY="case-2025-0042")

    again = client.post(URL, body(), format="json", HTTP_IDEMPOTENCY_KEY="case-2025-0042")

    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert DeliveryRequest.objects.count() == 1
    assert Recipient.objects.count() == 1
    assert ConsentRecord.objects.count() == 2


def test_reusing_a_key_with_another_body_is_422(api, case_worker_a):
    client = api(case_worker_a)
    client.post(URL, body(), format="json", HTTP_IDEMPOTENCY_KEY="case-2025-0042")

    response = client.post(
        URL, body(recipient__name="別の 人"), format="json", HTTP_IDEMPOTENCY_KEY="case-2025-0042"
    )

    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert DeliveryRequest.objects.count() == 1


def test_a_corrected_retry_with_the_same_key_after_a_400_is_created(api, case_worker_a):
    client = api(case_worker_a)
    bad = client.post(URL, body(recipient__postal_code="0000000"), format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert bad.status_code == 400

    good = client.post(URL, body(), format="json", HTTP_IDEMPOTENCY_KEY="k1")

    # A different body under the same key is fine here: the refused attempt left no key behind.
    assert good.status_code == 201
    assert DeliveryRequest.objects.count() == 1


def test_the_same_agency_reference_twice_is_409(api, case_worker_a):
    client = api(case_worker_a)
    assert client.post(URL, body(client_reference="CASE-7"), format="json").status_code == 201

    response = client.post(URL, body(client_reference="CASE-7"), format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "duplicate_client_reference"
    assert DeliveryRequest.objects.count() == 1


@pytest.mark.parametrize("actor", ["coordinator", "volunteer", "window_staff_a", "integration"])
def test_only_case_workers_file_requests(api, request, actor):
    user = request.getfixturevalue(actor)

    response = api(user).post(URL, body(), format="json")

    assert response.status_code == 403
    _nothing_written()


def test_anonymous_is_401(api, network):
    response = api(None).post(URL, body(), format="json")

    assert response.status_code == 401
    _nothing_written()


def test_a_case_worker_of_two_agencies_says_which(api, network, case_worker_a):
    grant_role(user=case_worker_a, role=Role.CASE_WORKER, organisation=network.agency_b)
    client = api(case_worker_a)

    unsaid = client.post(URL, body(), format="json")
    other = client.post(URL, body(agency=network.other_agency.pk), format="json")
    said = client.post(URL, body(agency=network.agency_b.pk), format="json")

    assert unsaid.status_code == 400
    assert list(unsaid.json()) == ["agency"]
    assert other.status_code == 400
    assert said.status_code == 201
    assert said.json()["agency"] == network.agency_b.pk


def test_filing_takes_a_fixed_number_of_queries(api, case_worker_a, django_assert_num_queries):
    client = api(case_worker_a)
    client.post(URL, body(), format="json")  # warm caches (content types, token table)

    # 1: token with user and memberships (one join).
    # 1: SAVEPOINT of idempotent_create's transaction (production: BEGIN), which the service joins
    # without a savepoint of its own (foodbank.transactions).
    # 1: claim the key (one INSERT … ON CONFLICT DO NOTHING, which needs no savepoint; it takes the
    # key's advisory lock so that a concurrent retry is told 409, and commits with the work).
    # 1: the filing itself, one statement of data-modifying CTEs (referrals.services.
    # filing_statement._filing_sql): the recipient, the request, its first event, the outbox message
    # that tells the webhooks (docs/webhooks.md), the consent records, the audit event and the key's
    # completion (foodbank.idempotency.completion_sql). The agency and the filer's memberships are
    # those the token's query loaded: nothing is read.
    # 1: RELEASE (production: the COMMIT, sent with the filing in one round trip:
    # foodbank.transactions.execute_then_commit). After commit (not in a test's transaction) the
    # outbox claims and marks its message: in a web process on PostgreSQL from its background
    # sender, on the sender's connection, 2 a batch (foodbank.outbox). The answer reads nothing back:
    # the person is new, their whole history is in hand. None of these depends on the body's size.
    # Elsewhere (the embedded SQLite set-up) the ORM writes the six rows and the key's completion
    # is a statement of its own: 6 more.
    with django_assert_num_queries(5 if connection.vendor == "postgresql" else 11):
        response = client.post(URL, body(), format="json", HTTP_IDEMPOTENCY_KEY="count-me")

    assert response.status_code == 201

    # A retry with the key replays the answer, read back (referrals.api.delivery_requests.
    # _render_created): 1 token; SAVEPOINT, the claim that finds the key taken, reading the key,
    # RELEASE (4); 1 the request with its recipient, agency and filer (``load``); 1 round trip of
    # two statements (foodbank.prepared.run_together): its events with their users, the person's
    # consents with their withdrawals. Binding on the server (the default) the two are one pipeline
    # that Django logs as two executes; on SQLite they are sent one at a time: 8 either way.
    together = binds_client_side(connection)
    with django_assert_num_queries(7 if together else 8) as captured:
        replayed = client.post(URL, body(), format="json", HTTP_IDEMPOTENCY_KEY="count-me")

    assert replayed.headers["Idempotent-Replayed"] == "true"
    assert replayed.content == response.content
    if together:
        assert captured.captured_queries[-1]["sql"].count(";\n") == 1  # two statements, one trip


def test_allergens_are_filed_as_codes_beside_the_free_text(api, case_worker_a):
    # Given a body with ticked allergens (repeated, out of the standard's order) and free text
    data = body(dietary={"allergies": "ナッツ類全般", "allergens": ["egg", "shrimp", "egg"], "note": ""})

    # When it is filed
    created = api(case_worker_a).post(URL, data, format="json")

    # Then the codes are kept once each, in the standard's order, and the text stays as written
    assert created.status_code == 201, created.content
    request = DeliveryRequest.objects.get(pk=created.json()["id"])
    assert request.allergens == ["shrimp", "egg"]
    assert request.allergies == "ナッツ類全般"
    # and the request as read shows them
    seen = api(case_worker_a).get(f"{URL}{request.pk}/").json()["dietary"]
    assert seen["allergens"] == ["shrimp", "egg"]
    assert seen["allergies"] == "ナッツ類全般"


def test_the_allergens_shown_are_the_codes_and_those_the_text_names(api, case_worker_a):
    data = body(dietary={"allergies": "そば", "allergens": ["milk"], "note": ""})

    created = api(case_worker_a).post(URL, data, format="json")

    assert created.status_code == 201, created.content
    assert created.json()["dietary"]["allergens"] == ["buckwheat", "milk"]
    assert DeliveryRequest.objects.get().allergens == ["milk"]


def test_an_unknown_allergen_code_is_400_naming_it_and_writes_nothing(api, case_worker_a):
    data = body(dietary={"allergies": "", "allergens": ["shrimp", "lobster"], "note": ""})
    before = (DeliveryRequest.objects.count(), Recipient.objects.count(), ConsentRecord.objects.count())

    response = api(case_worker_a).post(URL, data, format="json", HTTP_IDEMPOTENCY_KEY="k-allergen")

    assert response.status_code == 400
    errors = response.json()["dietary"]["allergens"]
    assert "lobster" in str(errors)
    assert "shrimp" not in str(errors)
    after = (DeliveryRequest.objects.count(), Recipient.objects.count(), ConsentRecord.objects.count())
    assert after == before == (0, 0, 0)
    _nothing_written()
