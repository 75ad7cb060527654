"""The installation's platform view: the food banks with their coordinators, and the network's
figures as aggregates with small counts suppressed; for the superuser and the network role, which
sees nothing inside any food bank and which no coordinator can grant or take away."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from foodbank.models import AuditEvent, Membership, Role
from foodbank.services import grant_role
from tests.helpers import api_client_for
from tests.inventory.factories import PackTypeFactory
from tests.referrals.factories import file_request

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_superuser_sees_each_food_bank_with_its_coordinators_and_suppressed_counts(
    network, coordinator, other_coordinator, case_worker_a
):
    coordinator.last_name, coordinator.first_name = "北", "一郎"
    coordinator.save()
    # Two agency parcels requested this year: a small count, shown as "<3"
    file_request(case_worker_a, network.agency_a)
    file_request(case_worker_a, network.agency_a)
    root = get_user_model().objects.create_superuser("root", "root@example.jp", "pw")

    response = _client(root).get(reverse("reports:platform"))

    body = response.content.decode()
    assert response.status_code == 200
    assert "フードバンク北" in body
    assert "フードバンク南" in body
    assert "北 一郎" in body
    assert "other_coordinator" in body
    assert "&lt;3" in body
    assert "山田" not in body  # no person, only totals


def test_the_network_role_reads_the_aggregates_from_its_start_page(
    network, coordinator, other_coordinator, case_worker_a, network_reader
):
    file_request(case_worker_a, network.agency_a)
    client = _client(network_reader)

    # The start page offers the network view, and it opens
    start = client.get("/").content.decode()
    assert "ネットワーク全体：各フードバンクの集計" in start
    assert reverse("reports:platform") in start
    response = client.get(reverse("reports:platform"))

    body = response.content.decode()
    assert response.status_code == 200
    assert "フードバンク北" in body
    assert "フードバンク南" in body
    assert "&lt;3" in body  # one parcel request: a small count
    assert "山田" not in body


def test_the_network_role_sees_nothing_inside_the_food_bank_it_is_held_at(
    network, case_worker_a, network_reader
):
    filed = file_request(case_worker_a, network.agency_a)
    client = _client(network_reader)

    for url in (
        reverse("console:index"),
        reverse("console:people"),
        reverse("console:duplicates"),
        reverse("console:dispatch-rule"),
        reverse("referrals:triage"),
        reverse("reports:report"),
        reverse("console:casework-search"),
    ):
        assert client.get(url).status_code == 403, url
    assert client.get(reverse("referrals:request-detail", args=[filed.pk])).status_code == 403
    # Nor through the API: requests are refused, and the food bank's reference data is not listed
    PackTypeFactory(food_bank=network.food_bank, code="day1", name="1日分セット", days=1)
    api = api_client_for(network_reader)
    assert api.get("/api/v1/delivery-requests/").status_code == 403
    pack_types = api.get("/api/v1/pack-types/")
    assert (pack_types.status_code, pack_types.json()["results"]) == (200, [])
    sites = api.get("/api/v1/sites/")
    assert (sites.status_code, sites.json()["results"]) == (200, [])


def test_coordinators_and_other_roles_may_not_read_it(network, coordinator, case_worker_a, volunteer):
    for user in (coordinator, case_worker_a, volunteer):
        assert _client(user).get(reverse("reports:platform")).status_code == 403


def test_a_coordinator_can_neither_grant_nor_end_the_network_role(network, coordinator, network_reader):
    client = _client(coordinator)
    before = AuditEvent.objects.count()

    # The role is not offered, and naming it is refused
    assert 'value="network"' not in client.get(reverse("console:staff-invite")).content.decode()
    response = client.post(
        reverse("console:staff-invite"),
        {
            "full_name": "網 太郎",
            "username": "ami",
            "email": "ami@example.jp",
            "role": "network",
            "organisation": network.food_bank.pk,
        },
    )
    assert response.status_code == 400
    assert not Membership.objects.filter(user__username="ami").exists()

    # The holder is not this food bank's staff: not listed, and 404 by id
    assert "network_reader" not in client.get(reverse("console:staff")).content.decode()
    assert client.get(reverse("console:staff-member", args=[network_reader.pk])).status_code == 404
    assert client.post(reverse("console:staff-deactivate", args=[network_reader.pk])).status_code == 404
    network_reader.refresh_from_db()
    assert network_reader.is_active
    assert Membership.objects.filter(user=network_reader, role=Role.NETWORK, active=True).exists()
    assert AuditEvent.objects.count() == before


def test_the_network_role_is_held_at_a_food_bank_only(network):
    person = get_user_model().objects.create_user("someone")
    with pytest.raises(ValidationError):
        grant_role(user=person, role=Role.NETWORK, organisation=network.agency_a)
    with pytest.raises(ValidationError):
        grant_role(user=person, role=Role.NETWORK, organisation=network.agency_a, site=network.window_a)
    assert not Membership.objects.filter(user=person).exists()
