"""Retention (docs/spec.md §5, issue #8): personal data of cases closed more than RETENTION_MONTHS ago is
erased by a daily job; newer and open cases are untouched; the reports keep their figures."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as django_settings
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone

from foodbank.models import AuditEvent
from inventory.models import Handout
from referrals import services as referral_services
from referrals.models import (
    ConsentRecord,
    DeliveryRequest,
    DeliveryRequestEvent,
    Feedback,
    NaviApplication,
    Recipient,
)
from referrals.retention import anonymise_closed_cases, months_before, retention_cutoff
from reports import selectors as report_selectors
from reports import services as report_services
from shipping import services as shipping_services
from shipping.models import BatchDocument, Parcel
from tests.helpers import wait_for
from tests.referrals.factories import ACTIONS, bring_to, recipient_input
from tests.shipping.integration import approved_requests, run_batch

JST = ZoneInfo("Asia/Tokyo")
DELIVER = ("packed", "shipped", "delivered")


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def _backdate(request: DeliveryRequest, when: datetime) -> None:
    DeliveryRequest.objects.filter(pk=request.pk).update(status_changed_at=when, submitted_at=when)
    Recipient.objects.filter(pk=request.recipient_id).update(created_at=when - timedelta(days=3))


def _snapshot() -> list:
    """Every row the job may touch, as stored (ciphertext included): equal snapshots, no change."""
    with connection.cursor() as cursor:
        rows = []
        for table in (
            "referrals_recipient",
            "referrals_deliveryrequest",
            "referrals_deliveryrequestevent",
            "referrals_consentrecord",
            "referrals_feedback",
            "shipping_parcel",
            "inventory_handout",
        ):
            cursor.execute(f"SELECT * FROM {table} ORDER BY id")  # noqa: S608 (fixed table names)
            rows.append(cursor.fetchall())
    return rows


def test_months_before_keeps_the_day_or_takes_the_months_last():
    assert months_before(datetime(2026, 11, 23, 3, 40, tzinfo=JST), 13) == datetime(
        2025, 10, 23, 3, 40, tzinfo=JST
    )
    assert months_before(datetime(2025, 3, 31, 12, 0, tzinfo=JST), 1).date() == date(2025, 2, 28)
    assert months_before(datetime(2025, 1, 15, 12, 0, tzinfo=JST), 13).date() == date(2023, 12, 15)


def test_the_job_is_scheduled_daily_and_the_period_is_a_setting(settings):
    entry = django_settings.CELERY_BEAT_SCHEDULE["referrals-retention"]
    assert entry["task"] == "referrals.tasks.anonymise_closed_cases_task"
    assert django_settings.RETENTION_MONTHS == 13
    now = timezone.now()
    settings.RETENTION_MONTHS = 24
    assert retention_cutoff(now) == months_before(now, 24)


def test_old_closed_cases_are_anonymised_newer_and_open_ones_are_not(
    network,
    stocked,
    b2_account,
    coordinator,
    case_worker_a,
):
    # Given three requests shipped in one batch (parcels and documents built)...
    old, new, still_open = approved_requests(
        3,
        case_worker=case_worker_a,
        agency=network.agency_a,
        coordinator=coordinator,
        approved_at=timezone.now() - timedelta(days=1),
        allergies="えび・かに",
        dietary_note="たんぱく質多めに",
    )
    batch, _ = shipping_services.open_batch(account_id=b2_account.pk, ship_date=timezone.localdate())
    run_batch(batch.pk)
    # ...the old and the new one delivered, the third still on its way,
    for request, steps in ((old, DELIVER), (new, DELIVER), (still_open, DELIVER[:2])):
        assert DeliveryRequest.objects.get(pk=request.pk).status == "scheduled"
        for step in steps:
            ACTIONS[step](request.pk, coordinator)
    # a declined request, and a note about the old person's case in its trail
    declined = bring_to(
        referral_services.file_delivery_request(
            filed_by=case_worker_a,
            agency=network.agency_a,
            recipient=recipient_input(
                name="佐藤 次郎", phone="+819011112222", postal_code="0470024", municipality="小樽市"
            ),
            household=referral_services.HouseholdInput(type="single", adults=1),
            needs=referral_services.NeedsInput(situation_category="debt", situation_note="借金の返済"),
            consents=[referral_services.ConsentInput(purpose=ConsentRecord.Purpose.SHARE_WITH_FOODBANK)],
        ),
        "declined",
        coordinator,
    )
    now = timezone.now()
    cutoff = retention_cutoff(now)
    # closed 14 months ago (old, declined), 12 months ago (new); the open one was last changed 14
    # months ago too (an open case is never touched, however old)
    for request in (old, declined, still_open):
        _backdate(request, cutoff - timedelta(days=31))
    _backdate(new, cutoff + timedelta(days=31))
    referral_services.record_feedback(
        food_bank_id=network.food_bank.pk,
        by=coordinator,
        message="ありがとうございました。山田",
        may_be_published=False,
        received_on=(cutoff - timedelta(days=20)).date(),
        recipient_id=old.recipient_id,
    )
    old_handout = Handout.objects.create(
        food_bank=network.food_bank,
        site=network.window_a,
        household_size=2,
        household_type="single_parent",
        note="DV避難中",
        occurred_at=cutoff - timedelta(days=1),
    )
    new_handout = Handout.objects.create(
        food_bank=network.food_bank,
        site=network.window_a,
        household_size=2,
        household_type="single_parent",
        note="来週また来る",
        occurred_at=cutoff + timedelta(days=1),
    )
    # (the old parcel was packed for a household allergic to えび: codes, an alternative, a substitution)
    old_parcel = Parcel.objects.get(delivery_request_id=old.pk)
    Parcel.objects.filter(pk=old_parcel.pk).update(
        packing={
            **old_parcel.packing,
            "allergens": ["shrimp"],
            "alternatives": [{"allergens": ["shrimp"], "name": "家庭向けパック"}],
            "substitutions": [{"allergens": ["shrimp"], "pack_type_id": 1}],
        }
    )
    # (and its case worker was told so on the request: referrals.services.record_allergen_packing)
    referral_services.record_allergen_packing(
        packed={
            old.pk: [
                referral_services.AllergenPacking(
                    kind="alternative",
                    pack="家庭向けパック",
                    alternative="家庭向けパック（えび不使用）",
                    allergens=("shrimp",),
                )
            ]
        }
    )
    assert DeliveryRequest.objects.get(pk=old.pk).allergen_packing
    new_before = _row(new)
    open_before = _row(still_open)
    audits_before = AuditEvent.objects.count()

    # When the retention job runs
    result = anonymise_closed_cases(now=now)

    # Then the old delivered and the declined request are anonymised,
    assert result.as_dict() == {
        "delivery_requests": 2,
        "parcels": 1,
        "referrals": 0,
        "handout_notes": 1,
        "recipients": 2,
        "feedback": 1,
        "batch_documents": 0,
    }
    for request in (old, declined):
        request = DeliveryRequest.objects.select_related("recipient").get(pk=request.pk)
        assert request.anonymised_at is not None
        assert (request.situation_note, request.allergies, request.dietary_note) == ("", "", "")
        assert (request.allergens, request.allergen_packing) == ([], [])
        assert (request.client_reference, request.decline_reason, request.tracking_number) == ("", "", "")
        person = request.recipient
        assert (person.name, person.name_kana, person.phone, person.phone_index) == ("", "", "", "")
        assert (person.postal_code, person.address, person.building, person.children_ages) == ("", "", "", [])
        # keeping what the reports count
        assert (person.municipality, request.status) == ("小樽市", request.status)
        assert not DeliveryRequestEvent.objects.filter(request=request).exclude(note="").exists()
    old_row = DeliveryRequest.objects.select_related("recipient").get(pk=old.pk)
    # (approved_requests files one-person households: one pack per parcel)
    assert (old_row.situation_category, old_row.recipient.household_type) == ("welfare_pending", "single")
    assert (old_row.recipient.adults, old_row.recipient.children, old_row.recipient.infants) == (1, 0, 0)
    assert not ConsentRecord.objects.filter(recipient_id=old.recipient_id).exclude(witness_name="").exists()
    assert Feedback.objects.get(recipient_id=old.recipient_id).message == ""
    # its parcel's snapshot too (the pack types stay),
    parcel = Parcel.objects.get(delivery_request_id=old.pk)
    assert (parcel.recipient_name, parcel.recipient_phone, parcel.postal_code, parcel.address) == (
        "",
        "",
        "",
        "",
    )
    assert parcel.tracking_number is None
    assert parcel.packing["allergies"] == ""
    assert parcel.packing["notes"] == []
    assert not {"allergens", "alternatives", "substitutions"} & set(parcel.packing)
    assert parcel.packing["contents"]
    assert parcel.stock_needs
    # the old handout's note is gone, the newer one's kept,
    assert Handout.objects.get(pk=old_handout.pk).note == ""
    assert Handout.objects.get(pk=new_handout.pk).note == "来週また来る"
    # the newer and the open case are exactly as they were (their parcels too),
    assert _row(new) == new_before
    assert _row(still_open) == open_before
    assert Parcel.objects.get(delivery_request_id=new.pk).recipient_name == "山田 花子"
    # and one audit event names counts, never a person's data
    assert AuditEvent.objects.count() == audits_before + 1
    event = AuditEvent.objects.latest("pk")
    assert (event.object_type, event.action, event.actor_id) == ("retention", "change", None)
    assert event.detail["anonymised"]["recipients"] == 2
    assert "山田" not in str(event.detail)
    assert "佐藤" not in str(event.detail)

    # And when it runs again, nothing changes
    snapshot = _snapshot()
    again = anonymise_closed_cases(now=now)
    assert again.total == 0
    assert _snapshot() == snapshot
    assert AuditEvent.objects.count() == audits_before + 1


def _row(request: DeliveryRequest) -> tuple:
    request = DeliveryRequest.objects.select_related("recipient").get(pk=request.pk)
    person = request.recipient
    return (
        request.situation_note,
        request.allergies,
        request.tracking_number,
        request.anonymised_at,
        person.name,
        person.phone,
        person.phone_index,
        person.address,
        person.anonymised_at,
    )


def test_a_person_with_one_open_case_keeps_their_data(network, coordinator, case_worker_a):
    # Given a person whose first request was delivered long ago and who asked again last week
    first = bring_to(
        referral_services.file_delivery_request(
            filed_by=case_worker_a,
            agency=network.agency_a,
            recipient=recipient_input(name="鈴木 一郎", phone="+819033334444"),
            household=referral_services.HouseholdInput(type="single", adults=1),
            needs=referral_services.NeedsInput(situation_category="job_loss", situation_note="失職"),
            consents=[referral_services.ConsentInput(purpose=ConsentRecord.Purpose.SHARE_WITH_FOODBANK)],
        ),
        "declined",
        coordinator,
    )
    cutoff = retention_cutoff()
    _backdate(first, cutoff - timedelta(days=40))
    DeliveryRequest.objects.create(
        food_bank=network.food_bank,
        source="agency",
        agency=network.agency_a,
        recipient_id=first.recipient_id,
        situation_category="job_loss",
    )

    # When the job runs
    anonymise_closed_cases()

    # Then the old request's notes are erased, but the person (with an open case) is not
    person = Recipient.objects.get(pk=first.recipient_id)
    assert DeliveryRequest.objects.get(pk=first.pk).situation_note == ""
    assert (person.name, person.anonymised_at) == ("鈴木 一郎", None)
    assert person.phone == "+819033334444"


def test_documents_of_batches_shipped_before_the_cutoff_are_deleted(
    django_capture_on_commit_callbacks,
    network,
    stocked,
    b2_account,
    coordinator,
    case_worker_a,
):
    approved_requests(
        1,
        case_worker=case_worker_a,
        agency=network.agency_a,
        coordinator=coordinator,
        approved_at=timezone.now() - timedelta(days=1),
    )
    batch, _ = shipping_services.open_batch(account_id=b2_account.pk, ship_date=timezone.localdate())
    run_batch(batch.pk)
    names = list(BatchDocument.objects.filter(batch=batch).values_list("file", flat=True))
    assert names
    assert all(default_storage.exists(name) for name in names)
    type(batch).objects.filter(pk=batch.pk).update(ship_date=retention_cutoff().date() - timedelta(days=1))

    # (the files go on commit)
    with django_capture_on_commit_callbacks(execute=True):
        result = anonymise_closed_cases()

    assert result.batch_documents == len(names)
    assert not BatchDocument.objects.filter(batch=batch).exists()
    assert not any(default_storage.exists(name) for name in names)
    assert Parcel.objects.filter(batch=batch).count() == 1  # the batch and its parcels stay


def _close_seeded_requests(cutoff: datetime) -> None:
    """The seeded requests become delivered, closed long before the cutoff, with notes."""
    for request in DeliveryRequest.objects.filter(shipped_at__isnull=False):
        DeliveryRequest.objects.filter(pk=request.pk).update(
            status="delivered",
            status_changed_at=request.shipped_at + timedelta(days=2),
            situation_note="家賃滞納",
            allergies="そば",
        )
    Recipient.objects.update(created_at=datetime(2023, 1, 1, tzinfo=JST), phone="+819055556666")
    NaviApplication.objects.update(debts_note="消費者金融")


def _figures(ids) -> tuple:
    return (
        report_selectors.monthly_report(ids, 2024),
        report_selectors.monthly_report(ids, 2023),
        report_selectors.breakdowns(ids, 2024),
        report_selectors.navi_answers(ids, date(2024, 4, 1), date(2025, 4, 1)),
    )


def test_reports_give_the_same_totals_before_and_after(api, coordinator, seed, network):
    # Given the seeded FY2023/FY2024, its requests delivered and closed years ago, with notes,
    ids = [network.food_bank.pk]
    _close_seeded_requests(retention_cutoff())
    # rolled up to 1 September 2024 (later days are counted live)
    report_services.refresh_rollups(now=datetime(2024, 9, 1, 0, 30, tzinfo=JST))
    before = _figures(ids)
    api_before = api(coordinator).get("/api/v1/reports/monthly/", {"fiscal_year": 2024}).json()

    # When the retention job runs
    result = anonymise_closed_cases()

    # Then it erased personal data,
    assert result.delivery_requests == DeliveryRequest.objects.filter(status="delivered").count() == 5
    assert (
        not Recipient.objects.filter(anonymised_at__isnull=True)
        .exclude(delivery_requests__status="approved")
        .exists()
    )
    assert not NaviApplication.objects.exclude(debts_note="").exists()
    # and the report (live and rolled-up parts, breakdowns, Navi answers, API) is unchanged,
    assert _figures(ids) == before
    assert api(coordinator).get("/api/v1/reports/monthly/", {"fiscal_year": 2024}).json() == api_before
    # also once every day is rolled up again from the anonymised rows
    report_services.refresh_rollups()
    assert _figures(ids) == before


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_scheduled_job(network, coordinator, case_worker_a, celery_worker):
    from foodbank.celery import app

    # Given a request declined long ago
    request = bring_to(
        referral_services.file_delivery_request(
            filed_by=case_worker_a,
            agency=network.agency_a,
            recipient=recipient_input(name="高橋 三郎", phone="+819077778888"),
            household=referral_services.HouseholdInput(type="single", adults=1),
            needs=referral_services.NeedsInput(situation_category="illness", situation_note="入院中"),
            consents=[referral_services.ConsentInput(purpose=ConsentRecord.Purpose.SHARE_WITH_FOODBANK)],
        ),
        "declined",
        coordinator,
    )
    _backdate(request, retention_cutoff() - timedelta(days=10))

    # When beat sends the scheduled task (the entry's name, as beat does) to the worker
    entry = django_settings.CELERY_BEAT_SCHEDULE["referrals-retention"]
    app.send_task(entry["task"])

    # Then the worker anonymises the person (the run's audit event is its last write)
    wait_for(
        lambda: AuditEvent.objects.filter(object_type="retention").exists(),
        message="the retention job",
    )
    person = Recipient.objects.get(pk=request.recipient_id)
    assert (person.name, person.phone) == ("", "")
    assert AuditEvent.objects.filter(object_type="retention").count() == 1
