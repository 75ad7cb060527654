"""The installation's platform view: the food banks with their coordinators, and the network's
figures as aggregates with small counts suppressed; the superuser only."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

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


def test_coordinators_and_other_roles_may_not_read_it(network, coordinator, case_worker_a):
    for user in (coordinator, case_worker_a):
        assert _client(user).get(reverse("reports:platform")).status_code == 403
