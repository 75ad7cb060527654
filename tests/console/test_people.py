"""People pages: search (kana/kanji, phone through the blind index, reference, postal code), the
person's page, consent decisions and withdrawals, correction with its trail, and the disclosure
export (JSON and PDF) — coordinators of the holding food bank only, every search and view audited."""

import io
import json
import logging

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from console.models import PersonCorrection
from foodbank import audit
from foodbank.models import AuditEvent, ProvisionRecord
from referrals import services as referral_services
from referrals.handover import AllergenPacking
from referrals.models import ConsentRecord, ConsentWithdrawal, DeliveryRequest, Recipient
from tests.helpers import make_actor
from tests.referrals.factories import file_request

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def filed(network, case_worker_a):
    return file_request(case_worker_a, network.agency_a)


def _search(client, kind, term):
    return client.post(reverse("console:people"), {"kind": kind, "term": term})


@pytest.mark.parametrize(
    ("kind", "term"),
    [
        ("name", "やまだ"),  # hiragana finds the katakana stored
        ("name", "ﾔﾏﾀﾞﾊﾅｺ"),  # half-width, without the space
        ("name", "山田 花子"),
        ("reference", "DR-{pk:06d}"),
        ("postal_code", "０４７－００２４"),
        ("phone", "090-1234-5678"),
    ],
)
def test_search_finds_the_person(network, coordinator, filed, kind, term):
    response = _search(_client(coordinator), kind, term.format(pk=filed.pk))

    assert response.status_code == 200
    assert reverse("console:person", args=[filed.recipient_id]) in response.content.decode()
    event = AuditEvent.objects.get(object_type="person_search")
    assert event.detail == {"by": kind, "results": [filed.recipient_id]}


def test_a_phone_search_never_stores_or_logs_the_number(network, coordinator, filed, caplog):
    # Given the person's phone number, typed as people say it
    client = _client(coordinator)
    caplog.set_level(logging.DEBUG)

    # When the coordinator searches by phone
    with CaptureQueriesContext(connection) as queries:
        response = _search(client, "phone", "090-1234-5678")

    # Then the person is found through the blind index
    assert reverse("console:person", args=[filed.recipient_id]) in response.content.decode()
    # and the number is nowhere in clear: not in the URL, the audit log, the logs, or any SQL sent
    event = AuditEvent.objects.get(object_type="person_search")
    assert event.path == "/console/people/"
    stored = json.dumps(list(AuditEvent.objects.values()), default=str)
    for form in ("09012345678", "090-1234-5678", "+819012345678", "1234-5678"):
        assert form not in stored
        assert form not in caplog.text
        assert not any(form in q["sql"] for q in queries.captured_queries)


def test_the_person_page_shows_everything_and_records_the_view(network, coordinator, filed):
    client = _client(coordinator)

    response = client.get(reverse("console:person", args=[filed.recipient_id]))

    page = response.content.decode()
    assert response.status_code == 200
    assert filed.reference in page
    assert "ヤマダ ハナコ" in page
    assert "090-1234-5678" in page
    assert (
        AuditEvent.objects.filter(
            object_type="recipient", subject_id=filed.recipient_id, action="view"
        ).count()
        == 1
    )
    # The next view lists this one under "who viewed"
    again = client.get(reverse("console:person", args=[filed.recipient_id])).content.decode()
    assert f"recipient #{filed.recipient_id}" in again


def test_another_food_bank_sees_nothing_of_the_person(network, filed, other_coordinator, case_worker_a):
    client = _client(other_coordinator)
    before = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    link = reverse("console:person", args=[filed.recipient_id])
    assert link not in _search(client, "phone", "090-1234-5678").content.decode()
    assert link not in _search(client, "name", "山田").content.decode()
    urls = [
        reverse("console:person", args=[filed.recipient_id]),
        reverse("console:person-export-json", args=[filed.recipient_id]),
        reverse("console:person-export-pdf", args=[filed.recipient_id]),
        reverse("console:person-correct", args=[filed.recipient_id]),
    ]
    assert [client.get(url).status_code for url in urls] == [404, 404, 404, 404]
    consent = ConsentRecord.objects.filter(recipient_id=filed.recipient_id).first()
    assert (
        client.post(
            reverse("console:consent-withdraw", args=[consent.pk]), {"method": "signed_form"}
        ).status_code
        == 404
    )
    assert not ConsentWithdrawal.objects.exists()
    # Only the two searches were recorded (with no result), nothing about the person
    assert not AuditEvent.objects.filter(pk__gt=before, subject_id=filed.recipient_id).exists()
    # And a case worker may not use the people pages at all
    assert _client(case_worker_a).get(reverse("console:person", args=[filed.recipient_id])).status_code == 403


def test_withdrawing_the_consent_to_share_cancels_the_open_request(network, coordinator, filed):
    share = ConsentRecord.objects.get(recipient_id=filed.recipient_id, purpose="share_with_foodbank")
    client = _client(coordinator)

    # A verbal withdrawal without a witness is refused, and nothing is written
    client.post(
        reverse("console:consent-withdraw", args=[share.pk]),
        {f"w{share.pk}-method": "verbal", f"w{share.pk}-witness": ""},
    )
    assert not ConsentWithdrawal.objects.exists()

    response = client.post(
        reverse("console:consent-withdraw", args=[share.pk]),
        {f"w{share.pk}-method": "verbal", f"w{share.pk}-witness": "佐藤 一郎"},
    )

    assert response.status_code == 302
    withdrawal = ConsentWithdrawal.objects.get(consent=share)
    assert "佐藤 一郎" in withdrawal.note
    assert DeliveryRequest.objects.get(pk=filed.pk).status == "cancelled"
    assert AuditEvent.objects.filter(object_type="consent", object_id=str(share.pk), action="change").exists()


def test_recording_a_refusal_of_phone_contact(network, coordinator, filed):
    response = _client(coordinator).post(
        reverse("console:person-consent", args=[filed.recipient_id]),
        {
            "decision-purpose": "phone_contact",
            "decision-decision": "refused",
            "decision-method": "signed_form",
            "decision-witness": "",
        },
    )

    assert response.status_code == 302
    record = ConsentRecord.objects.get(recipient_id=filed.recipient_id, purpose="phone_contact")
    assert (record.decision, record.method, record.recorded_by_organisation_id) == (
        "refused",
        "signed_form",
        network.food_bank.pk,
    )


def test_correction_changes_the_phone_its_index_and_leaves_a_trail(network, coordinator, filed):
    client = _client(coordinator)
    url = reverse("console:person-correct", args=[filed.recipient_id])
    form = client.get(url)
    assert form.status_code == 200

    response = client.post(
        url,
        {
            "name": "山田 花子",
            "name_kana": "ヤマダ ハナコ",
            "phone": "080-9999-0000",
            "postal_code": "047-0024",
            "address": "花園2丁目6-7",
            "building": "",
            "reason": "本人から電話番号の訂正の申し出",
            "requested_by_person": "on",
        },
    )

    assert response.status_code == 302
    person = Recipient.objects.get(pk=filed.recipient_id)
    assert person.phone == "+818099990000"
    assert (
        reverse("console:person", args=[person.pk])
        in _search(client, "phone", "08099990000").content.decode()
    )
    assert (
        reverse("console:person", args=[person.pk])
        not in _search(client, "phone", "090-1234-5678").content.decode()
    )
    correction = PersonCorrection.objects.get()
    assert (correction.fields, correction.corrected_by) == (["phone"], coordinator)
    event = AuditEvent.objects.get(object_type="recipient", action="change", subject_id=person.pk)
    assert event.detail == {"fields": ["phone"], "correction": True}
    assert "0000" not in json.dumps(event.detail)


def test_the_disclosure_lists_every_provision_and_every_view(network, coordinator, filed):
    # Given the person's data went to two organisations and was viewed by two staff members
    other = make_actor("coordinator2", "coordinator", network.food_bank)
    for n, name in enumerate(("小樽市社協", "ヤマト運輸"), start=1):
        audit.record_provision(
            food_bank_id=network.food_bank.pk,
            subject_ids=[filed.recipient_id],
            data_categories=["name", "address"],
            basis="consent" if n == 1 else "entrustment",
            trigger_type="test",
            trigger_id=n,
            recipient_name=name,
        )
    _client(other).get(reverse("console:person", args=[filed.recipient_id]))
    client = _client(coordinator)
    client.get(reverse("console:person", args=[filed.recipient_id]))
    views = AuditEvent.objects.filter(subject_id=filed.recipient_id).count()
    # And the dispatch batch packed an allergen-free alternative for the household's request
    packed = AllergenPacking(
        kind=AllergenPacking.ALTERNATIVE,
        pack="家庭向けパック",
        allergens=("egg",),
        alternative="卵不使用パック",
    )
    assert referral_services.record_allergen_packing(packed={filed.pk: [packed]}) == 1

    # When the coordinator exports the disclosure as JSON and as PDF
    data = client.get(reverse("console:person-export-json", args=[filed.recipient_id])).json()
    pdf = client.get(reverse("console:person-export-pdf", args=[filed.recipient_id]))

    # Then it lists every record of provision and every view recorded before it
    assert [p["provided_to"] for p in data["provisions"]] == ["小樽市社協", "ヤマト運輸"]
    assert len(data["views"]) == views
    assert {v["by"] for v in data["views"]} >= {"coordinator", "coordinator2"}
    assert data["person"]["phone"] == "090-1234-5678"
    assert [r["reference"] for r in data["delivery_requests"]] == [filed.reference]
    # And what packing did about the allergies, as stored and as the case worker reads it
    assert data["delivery_requests"][0]["allergen_packing"] == [
        {
            "kind": "alternative",
            "pack": "家庭向けパック",
            "alternative": "卵不使用パック",
            "allergens": ["egg"],
            "text": "アレルギー対応（卵を除く）：家庭向けパックの代わりに卵不使用パック",
        }
    ]
    assert pdf["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "小樽市社協" in text
    assert "ヤマト運輸" in text
    assert "coordinator2" in text
    assert filed.reference in text
    assert "アレルギー対応（卵を除く）：家庭向けパックの代わりに卵不使用パック" in text.replace("\n", "")
    # And each export is itself recorded
    assert AuditEvent.objects.filter(subject_id=filed.recipient_id, action="export").count() == 2
    assert ProvisionRecord.objects.filter(subject_id=filed.recipient_id).count() == 2
