"""Pages of referrals back to consultation services (issue 6): the target's inbox, referring from
triage, the coordinator's trail, and the case worker's view of a request's referral."""

from datetime import date

import pytest

from foodbank.models import AuditEvent, ProvisionRecord
from referrals import selectors, services
from referrals.models import ConsentRecord, Referral, ReferralEvent

from .factories import recipient_input

pytestmark = pytest.mark.django_db
Purpose = ConsentRecord.Purpose


def refer(request, by, **kwargs):
    return services.create_referral(
        by=by,
        recipient_id=request.recipient_id,
        source=Referral.Source.DELIVERY_REQUEST,
        delivery_request_id=request.pk,
        **kwargs,
    )


def food_only_request(case_worker, agency):
    return services.file_delivery_request(
        filed_by=case_worker,
        agency=agency,
        recipient=recipient_input(),
        household=services.HouseholdInput(type="single", adults=1),
        needs=services.NeedsInput(situation_category="job_loss"),
        consents=[services.ConsentInput(purpose=Purpose.SHARE_WITH_FOODBANK)],
    )


# --- The target's inbox ---------------------------------------------------------------------------


def test_window_staff_see_the_referral_and_what_the_person_shared(
    client, network, coordinator, window_staff_a, submitted
):
    # given a referral to window A
    referral = refer(submitted, coordinator, needs="家計の相談")
    client.force_login(window_staff_a)
    # when window A's staff open their inbox
    response = client.get("/referrals/inbox/")
    # then they see it, the person's name and phone, the needs, and the three next steps
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="ja">' in html
    assert referral.reference in html
    assert "山田 花子" in html
    assert 'href="tel:090-1234-5678"' in html
    assert "家計の相談" in html
    assert f'action="/referrals/inbox/{referral.pk}/acknowledge/"' in html
    assert f'action="/referrals/inbox/{referral.pk}/contacted/"' in html
    assert f'action="/referrals/inbox/{referral.pk}/close/"' in html
    # and every field has a label
    assert f'<label for="id_c{referral.pk}-contacted_on">' in html
    assert f'<label for="id_x{referral.pk}-outcome">' in html
    # and the view of the person's details is in the audit log
    view = AuditEvent.objects.get(action="view", object_type="referral")
    assert (view.actor, view.object_id, view.subject_id) == (
        window_staff_a,
        str(referral.pk),
        submitted.recipient_id,
    )


def test_inbox_does_not_show_what_the_consent_does_not_cover(client, network, coordinator, case_worker_a):
    # given a referral consent covering identity only (no contact, no situation)
    request = services.file_delivery_request(
        filed_by=case_worker_a,
        agency=network.agency_a,
        recipient=recipient_input(),
        household=services.HouseholdInput(type="single", adults=1),
        needs=services.NeedsInput(situation_category="debt", situation_note="借金の取り立て"),
        consents=[
            services.ConsentInput(purpose=Purpose.SHARE_WITH_FOODBANK),
            services.ConsentInput(purpose=Purpose.REFERRAL, data_categories=["identity"]),
        ],
    )
    refer(request, coordinator)
    from tests.helpers import make_actor

    staff = make_actor("window_a2", "window_staff", network.agency_a, network.window_a)
    client.force_login(staff)
    html = client.get("/referrals/inbox/").content.decode()
    assert "山田 花子" in html
    assert "090-1234-5678" not in html
    assert "借金の取り立て" not in html


def test_window_staff_acknowledge_record_contact_and_close_on_the_page(
    client, network, coordinator, window_staff_a, submitted
):
    referral = refer(submitted, coordinator)
    client.force_login(window_staff_a)
    # when they acknowledge
    response = client.post(f"/referrals/inbox/{referral.pk}/acknowledge/")
    assert response.status_code == 302
    assert response["Location"] == f"/referrals/inbox/#rf{referral.pk}"
    referral.refresh_from_db()
    assert referral.status == "acknowledged"
    # when they record the contact
    client.post(
        f"/referrals/inbox/{referral.pk}/contacted/",
        {f"c{referral.pk}-contacted_on": "2025-06-02", f"c{referral.pk}-outcome": "電話で面談予約"},
    )
    referral.refresh_from_db()
    assert (referral.status, referral.contacted_on, referral.contact_outcome) == (
        "contacted",
        date(2025, 6, 2),
        "電話で面談予約",
    )
    # when they close it with the outcome
    client.post(f"/referrals/inbox/{referral.pk}/close/", {f"x{referral.pk}-outcome": "生活保護の申請に同行"})
    referral.refresh_from_db()
    assert (referral.status, referral.outcome) == ("closed", "生活保護の申請に同行")
    assert [(e.kind, e.by_id) for e in referral.events.order_by("pk")] == [
        ("sent", coordinator.pk),
        ("acknowledged", window_staff_a.pk),
        ("contacted", window_staff_a.pk),
        ("closed", window_staff_a.pk),
    ]
    # then the closed referral has no more buttons
    html = client.get("/referrals/inbox/").content.decode()
    assert f"/referrals/inbox/{referral.pk}/close/" not in html


def test_contact_without_an_outcome_is_refused_and_nothing_is_written(
    client, network, coordinator, window_staff_a, submitted
):
    referral = refer(submitted, coordinator)
    client.force_login(window_staff_a)
    response = client.post(
        f"/referrals/inbox/{referral.pk}/contacted/",
        {f"c{referral.pk}-contacted_on": "2025-06-02", f"c{referral.pk}-outcome": ""},
        follow=True,
    )
    referral.refresh_from_db()
    assert referral.status == "sent"
    assert ReferralEvent.objects.filter(referral=referral).count() == 1
    assert referral.reference in response.content.decode()


def test_staff_of_another_window_see_nothing_and_cannot_act(
    client, network, coordinator, window_staff_b, submitted
):
    # given a referral to window A
    referral = refer(submitted, coordinator)
    client.force_login(window_staff_b)
    # then window B's inbox is empty and acting on it is a 404 that changes nothing
    html = client.get("/referrals/inbox/").content.decode()
    assert referral.reference not in html
    assert "山田" not in html
    assert client.post(f"/referrals/inbox/{referral.pk}/acknowledge/").status_code == 404
    assert (
        client.post(f"/referrals/inbox/{referral.pk}/close/", {f"x{referral.pk}-outcome": "x"}).status_code
        == 404
    )
    referral.refresh_from_db()
    assert referral.status == "sent"
    assert referral.events.count() == 1


@pytest.mark.parametrize("actor", ["volunteer", "coordinator"])
def test_inbox_is_for_the_targets_staff(client, actor, request, network):
    client.force_login(request.getfixturevalue(actor))
    assert client.get("/referrals/inbox/").status_code == 403
    assert client.post("/referrals/inbox/1/acknowledge/").status_code == 403


def test_staff_of_a_target_agency_see_its_referrals_in_the_inbox(
    client, network, coordinator, case_worker_b, submitted
):
    referral = refer(submitted, coordinator, target=network.agency_b)
    client.force_login(case_worker_b)
    html = client.get("/referrals/inbox/").content.decode()
    assert referral.reference in html
    assert "山田 花子" in html


def test_withdrawal_removes_the_details_from_the_inbox_at_once(
    client, network, coordinator, window_staff_a, submitted
):
    # given an acknowledged referral with a contact outcome
    referral = refer(submitted, coordinator, needs="家計の相談")
    services.record_referral_contact(
        referral_id=referral.pk, by=window_staff_a, contacted_on=date(2025, 6, 2), outcome="面談予約済み"
    )
    client.force_login(window_staff_a)
    assert "山田 花子" in client.get("/referrals/inbox/").content.decode()
    # when the person withdraws their referral consent
    consent = selectors.valid_consent(recipient_id=submitted.recipient_id, purpose=Purpose.REFERRAL)
    services.withdraw_consent(consent_id=consent.pk, by=coordinator, organisation_id=network.food_bank.pk)
    # then the next page load shows the referral closed and withdrawn, with no personal details
    views_before = AuditEvent.objects.filter(action="view").count()
    html = client.get("/referrals/inbox/").content.decode()
    assert referral.reference in html
    for detail in ("山田 花子", "ヤマダ", "090-1234-5678", "家計の相談", "面談予約済み"):
        assert detail not in html
    assert 'class="message warning withdrawn"' in html
    assert f"/referrals/inbox/{referral.pk}/close/" not in html
    # and nothing personal was shown, so no view is recorded
    assert AuditEvent.objects.filter(action="view").count() == views_before


def test_window_page_links_to_the_inbox_with_the_open_count(
    client, network, coordinator, window_staff_a, submitted
):
    refer(submitted, coordinator)
    client.force_login(window_staff_a)
    html = client.get(f"/windows/{network.window_a.pk}/").content.decode()
    assert 'href="/referrals/inbox/"' in html
    assert "紹介 1件" in html


def test_start_page_links_window_staff_to_the_inbox(client, window_staff_a):
    client.force_login(window_staff_a)
    assert 'href="/referrals/inbox/"' in client.get("/").content.decode()


# --- Referring from triage ------------------------------------------------------------------------


def test_triage_proposes_the_target_and_the_coordinator_refers(client, network, coordinator, submitted):
    client.force_login(coordinator)
    # when the coordinator opens triage
    html = client.get("/triage/").content.decode()
    # then the consenting request shows the proposed window and an override select
    assert f'action="/triage/{submitted.pk}/refer/"' in html
    assert "小樽窓口" in html
    assert f'<label for="target-{submitted.pk}">' in html
    assert f'value="organisation:{network.agency_b.pk}"' in html
    # when they refer with the proposed target
    response = client.post(f"/triage/{submitted.pk}/refer/", {"target": "", "needs": "仕事探し"})
    # then the referral goes to the Otaru window
    assert response.status_code == 302
    referral = Referral.objects.get()
    assert (referral.target_site_id, referral.needs, referral.created_by) == (
        network.window_a.pk,
        "仕事探し",
        coordinator,
    )
    assert referral.delivery_request_id == submitted.pk
    # and triage now shows that it was referred instead of the form
    html = client.get("/triage/").content.decode()
    assert f'action="/triage/{submitted.pk}/refer/"' not in html
    assert referral.reference in html


def test_coordinator_overrides_the_proposed_target(client, network, coordinator, submitted):
    client.force_login(coordinator)
    client.post(f"/triage/{submitted.pk}/refer/", {"target": f"organisation:{network.agency_b.pk}"})
    assert Referral.objects.get().target_organisation_id == network.agency_b.pk


def test_triage_refuses_a_referral_without_consent_with_a_clear_message(
    client, network, coordinator, case_worker_a
):
    # given a request whose person consented to food only
    request = food_only_request(case_worker_a, network.agency_a)
    client.force_login(coordinator)
    # then triage offers no referral form
    html = client.get("/triage/").content.decode()
    assert f'action="/triage/{request.pk}/refer/"' not in html
    # when the form is posted anyway
    response = client.post(f"/triage/{request.pk}/refer/", {"target": ""}, follow=True)
    # then it is refused with the reason and nothing is written
    html = response.content.decode()
    assert "ご本人が相談機関への紹介に同意していないか、同意を撤回しています。紹介できません。" in html
    assert Referral.objects.count() == 0
    assert ReferralEvent.objects.count() == 0
    assert not ProvisionRecord.objects.filter(trigger_type="referral").exists()


def test_a_target_of_another_food_bank_is_refused(client, network, coordinator, submitted):
    client.force_login(coordinator)
    client.post(f"/triage/{submitted.pk}/refer/", {"target": f"site:{network.other_window.pk}"})
    assert Referral.objects.count() == 0


@pytest.mark.parametrize("actor", ["window_staff_a", "case_worker_a", "volunteer"])
def test_only_coordinators_refer_from_triage(client, actor, request, submitted):
    client.force_login(request.getfixturevalue(actor))
    assert client.post(f"/triage/{submitted.pk}/refer/", {"target": ""}).status_code == 403
    assert Referral.objects.count() == 0


def test_coordinator_of_another_food_bank_gets_404(client, other_coordinator, submitted):
    client.force_login(other_coordinator)
    assert client.post(f"/triage/{submitted.pk}/refer/", {"target": ""}).status_code == 404
    assert Referral.objects.count() == 0


# --- The coordinator's trail ----------------------------------------------------------------------


def test_coordinator_sees_every_step_with_who_and_when(
    client, network, coordinator, window_staff_a, submitted
):
    referral = refer(submitted, coordinator)
    services.acknowledge_referral(referral_id=referral.pk, by=window_staff_a)
    client.force_login(coordinator)
    html = client.get("/referrals/").content.decode()
    assert referral.reference in html
    assert "小樽窓口" in html
    assert html.count('<li><time datetime="') == 2
    assert window_staff_a.get_username() in html or window_staff_a.get_full_name() in html
    assert f'href="/requests/{submitted.pk}/"' in html


@pytest.mark.parametrize("actor", ["window_staff_a", "case_worker_a", "volunteer"])
def test_trail_page_is_for_coordinators(client, actor, request, network):
    client.force_login(request.getfixturevalue(actor))
    assert client.get("/referrals/").status_code == 403


# --- What the case worker sees --------------------------------------------------------------------


def test_case_worker_sees_that_a_referral_was_made_and_its_status_not_the_notes(
    client, api, network, coordinator, window_staff_a, case_worker_a, submitted
):
    # given a referral the target worked and closed with notes
    referral = refer(submitted, coordinator)
    services.record_referral_contact(
        referral_id=referral.pk, by=window_staff_a, contacted_on=date(2025, 6, 2), outcome="面談で借金の話"
    )
    services.close_referral(referral_id=referral.pk, by=window_staff_a, outcome="債務整理の相談へ")
    # when the filing case worker opens the request (page and API)
    client.force_login(case_worker_a)
    html = client.get(f"/requests/{submitted.pk}/").content.decode()
    body = api(case_worker_a).get(f"/api/v1/delivery-requests/{submitted.pk}/").json()
    # then they see the referral and its status, never the target's notes or outcome
    assert referral.reference in html
    assert "status-closed" in html
    assert "面談で借金の話" not in html
    assert "債務整理" not in html
    assert body["referrals"] == [
        {
            "id": referral.pk,
            "reference": referral.reference,
            "status": "closed",
            "target_name": "小樽窓口",
            "sent_at": body["referrals"][0]["sent_at"],
            "closed_at": body["referrals"][0]["closed_at"],
            "consent_withdrawn": False,
        }
    ]
    assert "面談で借金の話" not in str(body)
    assert "債務整理" not in str(body)
    # and the case worker has no refer form
    assert "/refer/" not in html


def test_request_page_offers_the_coordinator_a_referral(client, coordinator, submitted):
    client.force_login(coordinator)
    html = client.get(f"/requests/{submitted.pk}/").content.decode()
    assert f'action="/triage/{submitted.pk}/refer/"' in html
    client.post(f"/triage/{submitted.pk}/refer/", {"target": "", "next": f"/requests/{submitted.pk}/"})
    assert Referral.objects.get().delivery_request_id == submitted.pk


def test_refer_redirects_only_to_our_own_pages(client, coordinator, submitted):
    client.force_login(coordinator)
    response = client.post(f"/triage/{submitted.pk}/refer/", {"target": "", "next": "//evil.example/"})
    assert response["Location"] == "/triage/"
