"""The admin shows referrals read-only and records views of a person's data."""

import pytest

from foodbank.models import AuditEvent

from .factories import file_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_with_coordinator(client, coordinator):
    coordinator.is_staff = True
    coordinator.is_superuser = True
    coordinator.save()
    client.force_login(coordinator)
    return client


@pytest.mark.parametrize(
    "model",
    [
        "deliveryrequest",
        "recipient",
        "consentrecord",
        "naviapplication",
        "enrolment",
        "notification",
        "referral",
        "handoutcontact",
        "feedback",
    ],
)
def test_changelists_render(admin_client_with_coordinator, submitted, model):
    response = admin_client_with_coordinator.get(f"/admin/referrals/{model}/")

    assert response.status_code == 200


def test_opening_a_request_is_recorded_and_nothing_is_editable(
    admin_client_with_coordinator, network, case_worker_a, coordinator
):
    submitted = file_request(case_worker_a, network.agency_a, situation_note="家賃滞納で退去を求められている")

    response = admin_client_with_coordinator.get(f"/admin/referrals/deliveryrequest/{submitted.pk}/change/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "家賃滞納" not in html  # the narrative is left out of the admin
    assert 'name="_save"' not in html
    event = AuditEvent.objects.get(action="view")
    assert (event.actor, event.object_type, event.object_id, event.subject_id, event.detail) == (
        coordinator,
        "deliveryrequest",
        str(submitted.pk),
        submitted.recipient_id,
        {"via": "admin"},
    )
    post = admin_client_with_coordinator.post(f"/admin/referrals/deliveryrequest/{submitted.pk}/change/", {})
    assert post.status_code == 403


def test_opening_a_referral_is_recorded_and_its_notes_are_left_out(
    admin_client_with_coordinator, network, coordinator, submitted
):
    from referrals import services

    referral = services.create_referral(
        by=coordinator,
        recipient_id=submitted.recipient_id,
        source="delivery_request",
        delivery_request_id=submitted.pk,
        needs="借金の相談をしたい",
    )
    response = admin_client_with_coordinator.get(f"/admin/referrals/referral/{referral.pk}/change/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "借金の相談" not in html
    assert 'name="_save"' not in html
    event = AuditEvent.objects.get(action="view", object_type="referral")
    assert (event.object_id, event.subject_id) == (str(referral.pk), submitted.recipient_id)
