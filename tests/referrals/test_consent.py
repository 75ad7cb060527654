"""Consent records: immutable, per person and purpose, checked when acting, withdrawable."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from foodbank.models import AuditEvent
from referrals import notifications, selectors, services
from referrals.exceptions import ConsentRequired
from referrals.models import ConsentRecord, ConsentWithdrawal, Enrolment, Notification

from .factories import bring_to, file_request

pytestmark = pytest.mark.django_db

Purpose = ConsentRecord.Purpose


def _share(request) -> ConsentRecord:
    return request.recipient.consents.get(purpose=Purpose.SHARE_WITH_FOODBANK)


def test_filing_records_what_the_person_decided(api, case_worker_a):
    from .factories import body

    data = body()
    data["consent"] = {
        "share_with_foodbank": True,
        "referral": False,
        "method": "verbal",
        "witness_name": "窓口 次郎",
        "by_guardian": True,
        "guardian_name": "山田 太郎",
        "wording_version": "2025-04b",
    }

    response = api(case_worker_a).post("/api/v1/delivery-requests/", data, format="json")

    assert response.status_code == 201
    records = {c.purpose: c for c in ConsentRecord.objects.all()}
    assert set(records) == {"share_with_foodbank", "referral"}  # phone contact was not asked
    share, referral = records["share_with_foodbank"], records["referral"]
    assert (share.decision, referral.decision) == ("given", "refused")
    assert (share.method, share.witness_name, share.by_guardian, share.guardian_name) == (
        "verbal",
        "窓口 次郎",
        True,
        "山田 太郎",
    )
    assert share.wording_version == "2025-04b"
    assert share.recorded_by == case_worker_a
    assert share.data_recipients == ["food_bank", "courier"]
    assert "situation" in share.data_categories
    assert share.delivery_request_id == response.json()["id"]
    rid = response.json()["recipient"]["id"]
    assert selectors.valid_consent(recipient_id=rid, purpose=Purpose.SHARE_WITH_FOODBANK) == share
    assert selectors.valid_consent(recipient_id=rid, purpose=Purpose.REFERRAL) is None
    assert selectors.valid_consent(recipient_id=rid, purpose=Purpose.PHONE_CONTACT) is None


def test_consent_records_and_withdrawals_are_append_only(submitted, coordinator, network):
    share = _share(submitted)
    share.witness_name = "誰か"

    with pytest.raises(TypeError):
        share.save()
    with pytest.raises(TypeError):
        share.delete()
    withdrawn = services.withdraw_consent(
        consent_id=share.pk, by=coordinator, organisation_id=network.food_bank.pk
    )
    with pytest.raises(TypeError):
        withdrawn.withdrawal.save()


def test_valid_consent_follows_the_latest_decision(submitted, case_worker_a, network):
    rid = submitted.recipient_id
    referral = submitted.recipient.consents.get(purpose=Purpose.REFERRAL)
    assert selectors.valid_consent(recipient_id=rid, purpose=Purpose.REFERRAL) == referral

    # A later refusal supersedes it
    later = timezone.now() + timedelta(seconds=1)
    services.record_consent(
        recipient_id=rid,
        data=services.ConsentInput(purpose=Purpose.REFERRAL, decision="refused", decided_at=later),
        by=case_worker_a,
        organisation_id=network.agency_a.pk,
    )
    assert selectors.valid_consent(recipient_id=rid, purpose=Purpose.REFERRAL) is None

    # and a still later consent counts again
    again = services.record_consent(
        recipient_id=rid,
        data=services.ConsentInput(purpose=Purpose.REFERRAL, decided_at=later + timedelta(seconds=1)),
        by=case_worker_a,
        organisation_id=network.agency_a.pk,
    )
    assert selectors.valid_consent(recipient_id=rid, purpose=Purpose.REFERRAL) == again
    assert selectors.recipients_with_valid_consent(recipient_ids=[rid, 999], purpose=Purpose.REFERRAL) == {
        rid
    }


def test_coordinator_withdraws_and_open_requests_stop_at_once(api, network, case_worker_a, coordinator):
    # Given a person with a submitted request and a shipped one
    waiting = file_request(case_worker_a, network.agency_a)
    shipped = file_request(case_worker_a, network.agency_a)
    bring_to(shipped, "shipped", coordinator)
    share = _share(waiting)

    # When the coordinator records the withdrawal of the consent to share
    response = api(coordinator).post(
        f"/api/v1/consents/{share.pk}/withdraw/",
        {"note": "本人から電話で撤回"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    # Then it is withdrawn, as its own record
    assert response.status_code == 200
    assert response.json()["withdrawn_at"] is not None
    withdrawal = ConsentWithdrawal.objects.get()
    assert (withdrawal.consent, withdrawal.recorded_by, withdrawal.recorded_by_organisation) == (
        share,
        coordinator,
        network.food_bank,
    )
    assert withdrawal.note == "本人から電話で撤回"
    # and the person's open request is cancelled with an event saying why
    waiting.refresh_from_db()
    assert waiting.status == "cancelled"
    last = waiting.events.latest("pk")
    assert (last.from_status, last.to_status, last.by, last.note) == (
        "submitted",
        "cancelled",
        coordinator,
        "Consent withdrawn.",
    )
    # and another person's parcel already on its way is not touched
    shipped.refresh_from_db()
    assert shipped.status == "shipped"
    assert (
        AuditEvent.objects.filter(action="change", object_type="consent", object_id=str(share.pk)).count()
        == 1
    )


def test_the_recording_agency_may_withdraw_another_agency_may_not(
    api, submitted, agency_b_request, case_worker_a, case_worker_b, volunteer
):
    share = _share(submitted)
    url = f"/api/v1/consents/{share.pk}/withdraw/"

    assert api(case_worker_b).post(url, {}, format="json").status_code == 404
    assert api(volunteer).post(url, {}, format="json").status_code == 403
    assert not ConsentWithdrawal.objects.exists()

    response = api(case_worker_a).post(url, {}, format="json")

    assert response.status_code == 200
    assert ConsentWithdrawal.objects.get().recorded_by_organisation_id == share.recorded_by_organisation_id


def test_withdrawing_twice_is_409(api, submitted, coordinator):
    url = f"/api/v1/consents/{_share(submitted).pk}/withdraw/"
    api(coordinator).post(url, {}, format="json")

    response = api(coordinator).post(url, {}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "consent_already_withdrawn"
    assert ConsentWithdrawal.objects.count() == 1


def test_approving_without_a_valid_consent_is_refused(network, submitted, coordinator):
    # Given the consent was withdrawn without the services knowing (e.g. a race)
    ConsentWithdrawal.objects.create(
        consent=_share(submitted),
        withdrawn_at=timezone.now(),
        recorded_by=coordinator,
        recorded_by_organisation=network.food_bank,
    )

    with pytest.raises(ConsentRequired):
        services.approve_request(request_id=submitted.pk, by=coordinator)

    submitted.refresh_from_db()
    assert submitted.status == "submitted"


def test_a_queued_email_is_not_sent_once_consent_is_withdrawn(
    network, submitted, coordinator, case_worker_a, django_capture_on_commit_callbacks
):
    # Given an approval whose email is queued but has not run yet
    case_worker_a.email = "cw@agency-a.example"
    case_worker_a.save()
    with django_capture_on_commit_callbacks(execute=False):
        services.approve_request(request_id=submitted.pk, by=coordinator)
    notification = Notification.objects.get()

    # When the consent is withdrawn before the task runs
    services.withdraw_consent(
        consent_id=_share(submitted).pk, by=coordinator, organisation_id=network.food_bank.pk
    )

    # Then the task re-checks and sends nothing
    assert notifications.send(notification_id=notification.pk) is False
    assert mail.outbox == []
    notification.refresh_from_db()
    assert (notification.sent_at, notification.skipped) == (None, "consent_withdrawn")


def test_withdrawal_ends_the_monthly_enrolment(network, case_worker_a, coordinator):
    request = file_request(case_worker_a, network.agency_a)
    enrolment = services.enrol_in_monthly_programme(
        request_id=request.pk, by=coordinator, starts_on=timezone.localdate()
    )

    services.withdraw_consent(
        consent_id=_share(request).pk, by=coordinator, organisation_id=network.food_bank.pk
    )

    enrolment.refresh_from_db()
    assert enrolment.active is False
    assert Enrolment.objects.filter(active=True).count() == 0


def test_recording_a_new_decision_through_the_api(api, submitted, case_worker_a, case_worker_b):
    data = {
        "recipient": submitted.recipient_id,
        "delivery_request": submitted.pk,
        "purpose": "phone_contact",
        "decision": "given",
        "method": "verbal",
        "witness_name": "相談員 B",
    }

    other = api(case_worker_b).post("/api/v1/consents/", data, format="json")
    without_witness = api(case_worker_a).post(
        "/api/v1/consents/", {**data, "witness_name": ""}, format="json"
    )
    response = api(case_worker_a).post("/api/v1/consents/", data, format="json")

    assert other.status_code == 404
    assert without_witness.status_code == 400
    assert list(without_witness.json()) == ["witness_name"]
    assert response.status_code == 201
    assert (response.json()["purpose"], response.json()["decision"], response.json()["method"]) == (
        "phone_contact",
        "given",
        "verbal",
    )
    assert (
        selectors.valid_consent(recipient_id=submitted.recipient_id, purpose="phone_contact").pk
        == (response.json()["id"])
    )
    listed = api(case_worker_a).get("/api/v1/consents/", {"recipient": submitted.recipient_id}).json()
    assert sorted(c["purpose"] for c in listed["results"]) == [
        "phone_contact",
        "referral",
        "share_with_foodbank",
    ]
    assert (
        api(case_worker_b).get("/api/v1/consents/", {"recipient": submitted.recipient_id}).json()["results"]
        == []
    )
