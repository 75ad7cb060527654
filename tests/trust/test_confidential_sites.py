"""Confidential sites (a window run by a DV shelter): never in open data or a directory, the
address only to the site's own staff and the coordinators (docs/privacy.md, "Confidential sites")."""

import csv
import io

import pytest
from django.core.management import call_command

from foodbank import selectors
from foodbank.models import Organisation, Site
from tests.factories import OrganisationFactory, SiteFactory
from tests.helpers import api_client_for, make_actor

pytestmark = pytest.mark.django_db


@pytest.fixture
def shelter(network):
    """A DV shelter (confidential organisation) with a window, plus a confidential window of agency A."""
    org = OrganisationFactory(
        code="shelter",
        food_bank=network.food_bank,
        name="シェルター北",
        kind=Organisation.Kind.DV_SHELTER,
        confidential=True,
    )
    shelter_window = SiteFactory(
        code="win-shelter",
        organisation=org,
        food_bank=network.food_bank,
        name="シェルター相談室",
        address="北10条西4丁目",
    )
    flagged = SiteFactory(
        code="win-flagged",
        organisation=network.agency_a,
        food_bank=network.food_bank,
        name="小樽別室",
        address="秘密1丁目",
        confidential=True,
    )
    return org, shelter_window, flagged


def _text(response) -> str:
    return b"".join(response.streaming_content).decode("utf-8-sig")


def _csv_names(text: str) -> list[str]:
    rows = list(csv.reader(io.StringIO(text, newline="")))
    return sorted(r[1] for r in rows[1:])


def test_open_data_never_lists_a_confidential_window(client, network, shelter):
    # when anyone downloads the open-data directory
    response = client.get("/open-data/windows.csv")

    # then neither the shelter's window nor the flagged one is in it, nor their addresses
    assert response.status_code == 200
    text = _text(response)
    assert _csv_names(text) == sorted(["小樽窓口", "旭川窓口", "函館窓口"])
    assert "北10条西4丁目" not in text
    assert "秘密1丁目" not in text
    assert "シェルター" not in text


def test_publishable_sites_leaves_out_confidential_sites_and_organisations(network, shelter):
    org, shelter_window, flagged = shelter

    names = set(selectors.publishable_sites(food_bank_id=network.food_bank.pk).values_list("name", flat=True))
    assert names == {"小樽窓口", "旭川窓口"}
    assert shelter_window.is_confidential
    assert flagged.is_confidential
    assert not selectors.publishable_organisations().filter(pk=org.pk).exists()
    assert selectors.publishable_organisations().filter(pk=network.agency_a.pk).exists()


def test_case_workers_are_not_shown_a_confidential_window(network, shelter, case_worker_a):
    _org, shelter_window, flagged = shelter
    client = api_client_for(case_worker_a)

    listed = {s["name"] for s in client.get("/api/v1/sites/?page_size=100").json()["results"]}

    assert listed == {"小樽窓口", "旭川窓口"}
    for site in (shelter_window, flagged):
        assert client.get(f"/api/v1/sites/{site.pk}/").status_code == 404


def test_own_staff_and_the_coordinator_see_the_address(network, shelter, coordinator):
    org, shelter_window, _flagged = shelter
    own_staff = make_actor("shelter_staff", "window_staff", org, shelter_window)
    other_staff = make_actor("otaru_staff", "window_staff", network.agency_a, network.window_a)

    for user in (own_staff, coordinator):
        answer = api_client_for(user).get(f"/api/v1/sites/{shelter_window.pk}/")
        assert answer.status_code == 200
        assert answer.json()["address"] == "北10条西4丁目"
    assert api_client_for(other_staff).get(f"/api/v1/sites/{shelter_window.pk}/").status_code == 404


def test_the_demo_has_a_confidential_window_that_is_not_published(client):
    call_command("load_demo_data", quiet=True)

    shelter = Site.objects.get(code="window-shelter")
    assert shelter.is_confidential
    assert shelter.organisation.kind == Organisation.Kind.DV_SHELTER
    assert shelter.name not in _csv_names(_text(client.get("/open-data/windows.csv")))


def test_a_case_worker_never_reads_a_confidential_referral_targets_name(
    client, api, network, shelter, coordinator, case_worker_a
):
    from referrals import services as referral_services
    from referrals.models import Referral
    from tests.referrals.factories import file_request

    submitted = file_request(case_worker_a, network.agency_a)
    _, shelter_window, _ = shelter
    # Given the coordinator refers the case worker's client to the shelter's window
    referral_services.create_referral(
        by=coordinator,
        recipient_id=submitted.recipient_id,
        source=Referral.Source.DELIVERY_REQUEST,
        delivery_request_id=submitted.pk,
        target=shelter_window,
    )
    # When the filing case worker reads the request (API and page)
    body = api(case_worker_a).get(f"/api/v1/delivery-requests/{submitted.pk}/").json()
    client.force_login(case_worker_a)
    html = client.get(f"/requests/{submitted.pk}/").content.decode()
    # Then the referral is there, but the shelter is not named
    assert [r["target_name"] for r in body["referrals"]] == ["非公開の相談先"]
    assert "非公開の相談先" in html
    assert "シェルター" not in str(body)
    assert "シェルター" not in html
