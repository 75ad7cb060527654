"""The referral API (issue 6): create, inbox scoping, trail, withdrawal seen from the target."""

import pytest

from foodbank.models import Organisation
from referrals import selectors, services
from referrals.models import ConsentRecord, Referral, ReferralEvent
from tests.factories import SiteFactory

from .factories import recipient_input

Purpose = ConsentRecord.Purpose


def refer(api, coordinator, submitted, **extra):
    return api(coordinator).post(
        "/api/v1/referrals/", {"delivery_request": submitted.pk, **extra}, format="json"
    )


def test_coordinator_refers_a_consenting_person(network, coordinator, submitted, api):
    # when
    response = refer(api, coordinator, submitted, needs="家計相談")
    # then the proposed target is the Otaru window
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "sent"
    assert body["target"] == {"kind": "site", "id": network.window_a.pk, "name": "小樽窓口"}
    assert body["person"]["name"] == "山田 花子"
    assert body["person"]["needs"] == "家計相談"
    assert [e["kind"] for e in body["events"]] == ["sent"]


def test_api_refuses_without_referral_consent_and_writes_nothing(network, coordinator, case_worker_a, api):
    # given consent for food only
    request = services.file_delivery_request(
        filed_by=case_worker_a,
        agency=network.agency_a,
        recipient=recipient_input(),
        household=services.HouseholdInput(type="single", adults=1),
        needs=services.NeedsInput(situation_category="job_loss"),
        consents=[services.ConsentInput(purpose=Purpose.SHARE_WITH_FOODBANK)],
    )
    # when
    response = refer(api, coordinator, request)
    # then
    assert response.status_code == 409
    assert response.json()["code"] == "consent_required"
    assert Referral.objects.count() == 0
    assert ReferralEvent.objects.count() == 0


def test_coordinator_overrides_the_target(network, coordinator, submitted, api):
    response = refer(api, coordinator, submitted, target={"kind": "organisation", "id": network.agency_b.pk})
    assert response.status_code == 201, response.content
    assert response.json()["target"]["id"] == network.agency_b.pk


def test_target_of_another_food_bank_is_refused(network, coordinator, submitted, api):
    response = refer(api, coordinator, submitted, target={"kind": "site", "id": network.other_window.pk})
    assert response.status_code == 400
    assert Referral.objects.count() == 0


@pytest.mark.parametrize("actor", ["window_staff_a", "case_worker_a", "volunteer"])
def test_only_coordinators_refer(actor, request, submitted, api):
    response = refer(api, request.getfixturevalue(actor), submitted)
    assert response.status_code == 403
    assert Referral.objects.count() == 0


def test_target_window_staff_work_their_inbox(network, coordinator, window_staff_a, submitted, api):
    # given a referral to window A
    pk = refer(api, coordinator, submitted).json()["id"]
    client = api(window_staff_a)
    # when window A's staff read their inbox and work the referral
    inbox = client.get("/api/v1/referrals/").json()
    ack = client.post(f"/api/v1/referrals/{pk}/acknowledge/")
    contacted = client.post(
        f"/api/v1/referrals/{pk}/contacted/", {"date": "2025-06-02", "outcome": "面談予約"}, format="json"
    )
    closed = client.post(f"/api/v1/referrals/{pk}/close/", {"outcome": "支援開始"}, format="json")
    # then
    assert [r["id"] for r in inbox["results"]] == [pk]
    assert (ack.status_code, contacted.status_code, closed.status_code) == (200, 200, 200)
    assert closed.json()["status"] == "closed"
    assert [e["kind"] for e in closed.json()["events"]] == ["sent", "acknowledged", "contacted", "closed"]
    again = client.post(f"/api/v1/referrals/{pk}/acknowledge/")
    assert again.status_code == 409
    assert again.json()["code"] == "invalid_transition"


def test_staff_of_another_window_see_nothing(network, coordinator, window_staff_b, submitted, api):
    # given a referral to window A
    pk = refer(api, coordinator, submitted).json()["id"]
    client = api(window_staff_b)
    # then window B's staff neither list nor open nor act on it
    assert client.get("/api/v1/referrals/").json()["count"] == 0
    assert client.get(f"/api/v1/referrals/{pk}/").status_code == 404
    assert client.post(f"/api/v1/referrals/{pk}/acknowledge/").status_code == 404
    assert Referral.objects.get(pk=pk).status == "sent"


def test_staff_of_a_target_agency_see_its_referrals(network, coordinator, case_worker_b, submitted, api):
    pk = refer(
        api, coordinator, submitted, target={"kind": "organisation", "id": network.agency_b.pk}
    ).json()["id"]
    assert [r["id"] for r in api(case_worker_b).get("/api/v1/referrals/").json()["results"]] == [pk]


def test_withdrawal_hides_details_from_the_target_at_once(
    network, coordinator, window_staff_a, submitted, api
):
    # given a referral to window A
    pk = refer(api, coordinator, submitted).json()["id"]
    consent = selectors.valid_consent(recipient_id=submitted.recipient_id, purpose=Purpose.REFERRAL)
    # when the consent is withdrawn through the API
    response = api(coordinator).post(f"/api/v1/consents/{consent.pk}/withdraw/", {}, format="json")
    assert response.status_code == 200, response.content
    # then the target sees a closed, withdrawn referral without personal details
    body = api(window_staff_a).get(f"/api/v1/referrals/{pk}/").json()
    assert body["status"] == "closed"
    assert body["withdrawn"] is True
    assert body["person"] is None
    assert [e["kind"] for e in body["events"]] == ["sent", "consent_withdrawn", "closed"]


def test_referral_to_a_window_without_staff_of_another_food_bank(network, other_coordinator, submitted, api):
    # A coordinator of another food bank cannot refer this food bank's request.
    response = api(other_coordinator).post(
        "/api/v1/referrals/", {"delivery_request": submitted.pk}, format="json"
    )
    assert response.status_code == 400
    assert Referral.objects.count() == 0


def test_window_in_same_municipality_preferred_over_agency(network, coordinator, submitted, api):
    SiteFactory(
        code="win-otaru-2",
        organisation=Organisation.objects.get(pk=network.agency_a.pk),
        food_bank=network.food_bank,
    )
    assert refer(api, coordinator, submitted).json()["target"]["id"] == network.window_a.pk
