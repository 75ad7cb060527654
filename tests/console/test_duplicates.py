"""Possible duplicate households across agencies, flagged to the coordinator at triage and to no one
else: the same phone (blind index), or the same kana name at the same postal code."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from foodbank.models import AuditEvent
from referrals import services
from referrals.models import ConsentRecord
from tests.helpers import api_client_for
from tests.referrals.factories import recipient_input

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _file(case_worker, agency, **recipient):
    return services.file_delivery_request(
        filed_by=case_worker,
        agency=agency,
        recipient=recipient_input(**recipient),
        household=services.HouseholdInput(type="single_parent", adults=1, children=1),
        needs=services.NeedsInput(situation_category="wage_gap"),
        consents=[services.ConsentInput(purpose=ConsentRecord.Purpose.SHARE_WITH_FOODBANK)],
    )


def test_the_same_phone_from_two_agencies_is_flagged_to_the_coordinator_only(
    network, coordinator, other_coordinator, case_worker_a, case_worker_b
):
    # Given agency A's request, and agency B's for a person with another name but the same phone
    first = _file(case_worker_a, network.agency_a)
    second = _file(
        case_worker_b,
        network.agency_b,
        name="佐藤 花子",
        name_kana="サトウ ハナコ",
        postal_code="0700031",
        municipality="旭川市",
        municipality_code="01204",
        regional_bureau="kamikawa",
    )

    # When the coordinator opens the triage page and follows its link to the possible duplicates
    triage = _client(coordinator).get(reverse("referrals:triage")).content.decode()
    assert reverse("console:duplicates") in triage
    page = _client(coordinator).get(reverse("console:duplicates"))

    # Then the pair is there, said to share a phone number, with a link to compare them
    body = page.content.decode()
    assert page.status_code == 200
    assert first.reference in body
    assert second.reference in body
    assert "同じ電話番号" in body
    compare = reverse("console:compare", args=[first.pk, second.pk])
    assert compare in body
    assert _client(coordinator).get(compare).status_code == 200
    assert AuditEvent.objects.filter(object_type="delivery_request", detail__compare=True).count() == 2

    # And no one else sees it: neither agency's case worker (pages nor API), nor another food bank
    for worker, own, other in ((case_worker_a, first, second), (case_worker_b, second, first)):
        client = _client(worker)
        assert client.get(reverse("console:duplicates")).status_code == 403
        assert client.get(compare).status_code == 403
        assert other.reference not in client.get(reverse("referrals:request-list")).content.decode()
        assert (
            other.reference
            not in client.get(reverse("referrals:request-detail", args=[own.pk])).content.decode()
        )
        listed = api_client_for(worker).get(reverse("api-delivery-requests")).json()["results"]
        assert [r["id"] for r in listed] == [own.pk]
    foreign = _client(other_coordinator)
    assert first.reference not in foreign.get(reverse("console:duplicates")).content.decode()
    assert foreign.get(compare).status_code == 404


def test_the_same_kana_name_at_the_same_postal_code_is_flagged(
    network, coordinator, case_worker_a, case_worker_b
):
    first = _file(case_worker_a, network.agency_a, phone="+819011112222", name_kana="ヤマダ ハナコ")
    second = _file(
        case_worker_b, network.agency_b, phone="+818033334444", name="山田 はなこ", name_kana="やまだはなこ"
    )

    body = _client(coordinator).get(reverse("console:duplicates")).content.decode()

    assert reverse("console:compare", args=[first.pk, second.pk]) in body
    assert "同じかな氏名・郵便番号" in body
    assert "同じ電話番号" not in body


def test_two_requests_of_one_agency_or_different_people_are_not_flagged(
    network, coordinator, case_worker_a, case_worker_b
):
    _file(case_worker_a, network.agency_a)
    _file(case_worker_a, network.agency_a)  # the agency's own business: not across agencies
    _file(case_worker_b, network.agency_b, phone="+818033334444", name_kana="サトウ ハナコ")

    body = _client(coordinator).get(reverse("console:duplicates")).content.decode()

    assert not re.search(r"/console/duplicates/\d+/\d+/", body)
    assert "確認待ちの依頼に、同一世帯の可能性があるものはありません。" in body
