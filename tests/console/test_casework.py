"""Case workers' pages: search in their own agency's requests, withdraw a consent, enrol a household
in the monthly parcel — never reaching another agency's request."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from referrals.models import ConsentRecord, ConsentWithdrawal, Enrolment
from tests.referrals.factories import file_request

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("kind", "term"), [("name", "やまだ はなこ"), ("phone", "09012345678"), ("reference", "DR-{pk}")]
)
def test_a_case_worker_finds_only_their_own_agencys_requests(
    network, case_worker_a, case_worker_b, kind, term
):
    # Given the same person filed by agency A and by agency B
    own = file_request(case_worker_a, network.agency_a)
    other = file_request(case_worker_b, network.agency_b)

    response = _client(case_worker_a).post(
        reverse("console:casework-search"), {"kind": kind, "term": term.format(pk=own.pk), "status": ""}
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert reverse("console:casework-request", args=[own.pk]) in body
    assert other.reference not in body
    # B's request is not there by id either
    assert _client(case_worker_a).get(reverse("console:casework-request", args=[other.pk])).status_code == 404


def test_a_case_worker_withdraws_the_referral_consent(network, case_worker_a):
    request = file_request(case_worker_a, network.agency_a)
    consent = ConsentRecord.objects.get(recipient_id=request.recipient_id, purpose="referral")
    client = _client(case_worker_a)
    assert "撤回" in client.get(reverse("console:casework-request", args=[request.pk])).content.decode()

    response = client.post(
        reverse("console:casework-withdraw", args=[request.pk, consent.pk]),
        {"method": "signed_form", "witness": "", "note": "本人から書面で"},
    )

    assert response.status_code == 302
    withdrawal = ConsentWithdrawal.objects.get(consent=consent)
    assert (withdrawal.recorded_by, withdrawal.recorded_by_organisation_id) == (
        case_worker_a,
        network.agency_a.pk,
    )


def test_a_case_worker_enrols_a_single_parent_household_once(network, case_worker_a, case_worker_b):
    request = file_request(case_worker_a, network.agency_a)
    url = reverse("console:casework-enrol", args=[request.pk])
    month = timezone.localdate().replace(day=1).isoformat()

    # Another agency's case worker cannot
    assert _client(case_worker_b).post(url, {"starts_on": month}).status_code == 404
    assert not Enrolment.objects.exists()

    first = _client(case_worker_a).post(url, {"starts_on": month})
    second = _client(case_worker_a).post(url, {"starts_on": month}, follow=True)

    assert first.status_code == 302
    enrolment = Enrolment.objects.get()
    assert (enrolment.recipient_id, enrolment.agency_id, enrolment.enrolled_by) == (
        request.recipient_id,
        network.agency_a.pk,
        case_worker_a,
    )
    assert "登録されています" in second.content.decode() or "already enrolled" in second.content.decode()


def test_other_roles_are_refused_the_case_work_pages(network, coordinator, window_staff_a):
    for user in (coordinator, window_staff_a):
        assert _client(user).get(reverse("console:casework-search")).status_code == 403
