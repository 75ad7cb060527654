"""Referrals back to consultation services (issue 6): consent, matching, what the target sees,
withdrawal, escalation and feedback."""

from datetime import date, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from foodbank.models import ProvisionRecord
from referrals import selectors, services
from referrals.exceptions import ConsentRequired
from referrals.models import ConsentRecord, Referral, ReferralEvent

from .factories import recipient_input

Purpose = ConsentRecord.Purpose


def food_only_request(case_worker, agency):
    """A request whose person consented to sharing with the food bank only."""
    return services.file_delivery_request(
        filed_by=case_worker,
        agency=agency,
        recipient=recipient_input(),
        household=services.HouseholdInput(type="single", adults=1),
        needs=services.NeedsInput(situation_category="job_loss", situation_note="失職"),
        consents=[services.ConsentInput(purpose=Purpose.SHARE_WITH_FOODBANK)],
    )


def refer(request, by, **kwargs):
    return services.create_referral(
        by=by,
        recipient_id=request.recipient_id,
        source=Referral.Source.DELIVERY_REQUEST,
        delivery_request_id=request.pk,
        **kwargs,
    )


def test_referral_goes_to_the_window_of_the_persons_municipality(network, coordinator, submitted):
    # given a request from Otaru with consent to referral
    # when the coordinator refers the person
    referral = refer(submitted, coordinator, needs="家計の相談をしたい")
    # then it is sent to the Otaru window, with a trail and a record of provision
    assert referral.status == "sent"
    assert referral.target_site_id == network.window_a.pk
    assert referral.target_organisation_id is None
    assert referral.shared_categories == ["contact", "household", "identity", "situation"]
    assert [e.kind for e in referral.events.all()] == ["sent"]
    provision = ProvisionRecord.objects.get(trigger_type="referral", trigger_id=str(referral.pk))
    assert provision.subject_id == submitted.recipient_id
    assert provision.recipient_organisation_id == network.agency_a.pk
    assert provision.basis == "consent"


def test_no_consent_is_refused_and_nothing_is_written(network, coordinator, case_worker_a):
    # given a request whose person gave no referral consent at all
    request = food_only_request(case_worker_a, network.agency_a)
    # when the coordinator tries to refer them
    with pytest.raises(ConsentRequired) as refused:
        refer(request, coordinator)
    # then it is refused with a clear error and nothing was written
    assert refused.value.code == "consent_required"
    assert Referral.objects.count() == 0
    assert ReferralEvent.objects.count() == 0
    assert ProvisionRecord.objects.filter(trigger_type="referral").count() == 0


def test_withdrawn_referral_consent_is_refused(network, coordinator, submitted):
    # given the person withdrew their referral consent
    consent = selectors.valid_consent(recipient_id=submitted.recipient_id, purpose=Purpose.REFERRAL)
    services.withdraw_consent(consent_id=consent.pk, by=coordinator, organisation_id=network.food_bank.pk)
    # when / then
    with pytest.raises(ConsentRequired):
        refer(submitted, coordinator)
    assert Referral.objects.count() == 0


def test_database_refuses_a_referral_row_without_consent(network, coordinator, submitted):
    # given / when a row is written bypassing the service with no consent at all
    with pytest.raises(IntegrityError), transaction.atomic():
        Referral.objects.create(
            food_bank=network.food_bank,
            recipient_id=submitted.recipient_id,
            consent=None,
            source="direct",
            target_site=network.window_a,
            created_by=coordinator,
        )
    # then nothing was written
    assert Referral.objects.count() == 0


@pytest.mark.postgres
def test_database_refuses_a_referral_row_with_a_consent_for_food_only(network, coordinator, case_worker_a):
    # given a person whose only consent is to share with the food bank
    request = food_only_request(case_worker_a, network.agency_a)
    food_consent = ConsentRecord.objects.get(recipient_id=request.recipient_id)
    # when a raw ORM create bypasses the service
    with pytest.raises(IntegrityError), transaction.atomic():
        Referral.objects.create(
            food_bank=network.food_bank,
            recipient_id=request.recipient_id,
            consent=food_consent,
            source="direct",
            target_site=network.window_a,
            created_by=coordinator,
        )
    # then the trigger refused it
    assert Referral.objects.count() == 0


@pytest.mark.postgres
def test_database_refuses_a_referral_row_under_a_withdrawn_consent(network, coordinator, submitted):
    consent = selectors.valid_consent(recipient_id=submitted.recipient_id, purpose=Purpose.REFERRAL)
    services.withdraw_consent(consent_id=consent.pk, by=coordinator, organisation_id=network.food_bank.pk)
    with pytest.raises(IntegrityError), transaction.atomic():
        Referral.objects.create(
            food_bank=network.food_bank,
            recipient_id=submitted.recipient_id,
            consent=consent,
            source="direct",
            target_site=network.window_a,
            created_by=coordinator,
        )
    assert Referral.objects.count() == 0


def test_matching_falls_back_to_the_regional_bureaus_agency(network, coordinator, case_worker_a):
    # given a person in 鷹栖町 (Kamikawa) where no window or agency sits
    request = services.file_delivery_request(
        filed_by=case_worker_a,
        agency=network.agency_a,
        recipient=recipient_input(
            municipality="鷹栖町", municipality_code="01458", regional_bureau="kamikawa"
        ),
        household=services.HouseholdInput(type="single", adults=1),
        needs=services.NeedsInput(situation_category="job_loss"),
        consents=[
            services.ConsentInput(purpose=Purpose.SHARE_WITH_FOODBANK),
            services.ConsentInput(purpose=Purpose.REFERRAL),
        ],
    )
    # when / then: Kamikawa's agency (旭川市自立サポート) is proposed
    assert selectors.propose_target(request.recipient) == network.agency_b
    referral = refer(request, coordinator)
    assert referral.target_organisation_id == network.agency_b.pk


def test_coordinator_may_override_the_target(network, coordinator, submitted):
    referral = refer(submitted, coordinator, target=network.window_b)
    assert referral.target_site_id == network.window_b.pk


def test_target_sees_only_what_the_consent_covers(network, coordinator, case_worker_a):
    # given a referral consent covering identity and contact only
    request = services.file_delivery_request(
        filed_by=case_worker_a,
        agency=network.agency_a,
        recipient=recipient_input(),
        household=services.HouseholdInput(type="single", adults=1),
        needs=services.NeedsInput(situation_category="debt", situation_note="借金の取り立て"),
        consents=[
            services.ConsentInput(purpose=Purpose.SHARE_WITH_FOODBANK),
            services.ConsentInput(purpose=Purpose.REFERRAL, data_categories=["identity", "contact"]),
        ],
    )
    referral = refer(request, coordinator, needs="仕事探し")
    # when the target's view is built
    details = selectors.shared_details(selectors.visible_referrals(coordinator).get(pk=referral.pk))
    # then the situation note is not in it
    assert details == {
        "municipality": "小樽市",
        "needs": "仕事探し",
        "name": "山田 花子",
        "name_kana": "ヤマダ ハナコ",
        "is_pseudonym": False,
        "phone": "090-1234-5678",
    }


def test_withdrawal_closes_open_referrals_and_hides_details_at_once(network, coordinator, submitted):
    # given an acknowledged referral
    referral = refer(submitted, coordinator)
    services.acknowledge_referral(referral_id=referral.pk, by=coordinator)
    consent = selectors.valid_consent(recipient_id=submitted.recipient_id, purpose=Purpose.REFERRAL)
    # when the person withdraws their referral consent
    services.withdraw_consent(consent_id=consent.pk, by=coordinator, organisation_id=network.food_bank.pk)
    # then the referral is closed, its details gone from the target's view, and the trail says why
    referral.refresh_from_db()
    assert referral.status == "closed"
    assert referral.consent_withdrawn_at is not None
    assert selectors.shared_details(referral) is None
    assert [e.kind for e in referral.events.order_by("pk")] == [
        "sent",
        "acknowledged",
        "consent_withdrawn",
        "closed",
    ]


def test_trail_of_a_referral(network, coordinator, window_staff_a, submitted):
    referral = refer(submitted, coordinator)
    services.acknowledge_referral(referral_id=referral.pk, by=window_staff_a)
    services.record_referral_contact(
        referral_id=referral.pk, by=window_staff_a, contacted_on=date(2025, 6, 2), outcome="電話で面談予約"
    )
    services.close_referral(referral_id=referral.pk, by=window_staff_a, outcome="生活保護の申請に同行")
    referral.refresh_from_db()
    assert referral.status == "closed"
    assert referral.contacted_on == date(2025, 6, 2)
    assert referral.outcome == "生活保護の申請に同行"
    assert [(e.kind, e.by_id) for e in referral.events.order_by("pk")] == [
        ("sent", coordinator.pk),
        ("acknowledged", window_staff_a.pk),
        ("contacted", window_staff_a.pk),
        ("closed", window_staff_a.pk),
    ]


def test_working_days_skip_weekends_and_japanese_holidays():
    # Friday 2 May 2025 → Tuesday 7 May: 3–6 May are Saturday, Constitution Day, Greenery Day and
    # the substitute holiday for Children's Day, so only the 7th is a working day.
    assert selectors.working_days_since(date(2025, 5, 2), date(2025, 5, 7)) == 1
    assert selectors.working_days_since(date(2025, 6, 2), date(2025, 6, 5)) == 3


def test_escalation_run_twice_escalates_once(network, coordinator, submitted, settings):
    # given a referral sent five working days ago and never acknowledged
    settings.REFERRAL_ESCALATE_AFTER_WORKING_DAYS = 3
    referral = refer(submitted, coordinator)
    Referral.objects.filter(pk=referral.pk).update(sent_at=timezone.now() - timedelta(days=7))
    # when the job runs twice
    first = services.escalate_overdue_referrals()
    second = services.escalate_overdue_referrals()
    # then it was escalated once
    assert (first, second) == (1, 0)
    referral.refresh_from_db()
    assert referral.escalated_at is not None
    assert referral.events.filter(kind="escalated").count() == 1


def test_acknowledged_referral_is_not_escalated(network, coordinator, submitted):
    referral = refer(submitted, coordinator)
    services.acknowledge_referral(referral_id=referral.pk, by=coordinator)
    Referral.objects.filter(pk=referral.pk).update(sent_at=timezone.now() - timedelta(days=30))
    assert services.escalate_overdue_referrals() == 0


def test_a_referral_consent_not_covering_consultation_services_is_refused(
    network, coordinator, case_worker_a
):
    # given a referral consent whose recipients of the data are only the referring agency
    request = services.file_delivery_request(
        filed_by=case_worker_a,
        agency=network.agency_a,
        recipient=recipient_input(),
        household=services.HouseholdInput(type="single", adults=1),
        needs=services.NeedsInput(situation_category="job_loss"),
        consents=[
            services.ConsentInput(purpose=Purpose.SHARE_WITH_FOODBANK),
            services.ConsentInput(purpose=Purpose.REFERRAL, data_recipients=["referring_agency"]),
        ],
    )
    # when / then
    with pytest.raises(ConsentRequired):
        refer(request, coordinator)
    assert Referral.objects.count() == 0
    assert ProvisionRecord.objects.filter(trigger_type="referral").count() == 0


def test_a_later_refusal_of_referral_is_refused(network, coordinator, submitted):
    # given the person first agreed to referral, then said no (a new decision, not a withdrawal)
    services.record_consent(
        recipient_id=submitted.recipient_id,
        data=services.ConsentInput(purpose=Purpose.REFERRAL, decision=ConsentRecord.Decision.REFUSED),
        by=coordinator,
        organisation_id=network.food_bank.pk,
    )
    # when / then
    with pytest.raises(ConsentRequired):
        refer(submitted, coordinator)
    assert Referral.objects.count() == 0
    assert ReferralEvent.objects.count() == 0
