"""Who is told that an endpoint is failing: the food bank's active coordinators and the endpoint's
creator while their account is active (a deactivated colleague's mailbox may be read by others)."""

import pytest
from django.core import mail

from tests.helpers import make_actor
from webhooks import sending, services

pytestmark = pytest.mark.django_db


def test_the_failing_notice_skips_deactivated_people(network, coordinator, case_worker_a):
    coordinator.email = "coordinator@example.org"
    coordinator.save(update_fields=["email"])
    former = make_actor("former_coordinator", "coordinator", network.food_bank)
    former.email = "former@example.org"
    former.is_active = False
    former.save(update_fields=["email", "is_active"])
    case_worker_a.email = "left@example.org"
    case_worker_a.save(update_fields=["email"])
    endpoint = services.register_endpoint(
        agency=network.agency_a,
        url="https://cases.example.org/hook",
        events=["delivery_request.approved"],
        by=case_worker_a,
    ).endpoint
    case_worker_a.is_active = False
    case_worker_a.save(update_fields=["is_active"])
    endpoint.refresh_from_db()

    sending._tell_people_in_charge(endpoint)

    assert [message.to for message in mail.outbox] == [["coordinator@example.org"]]
