"""Demo data: requests in several states from both demo case workers, a Navi application and an
enrolment; loading twice changes nothing."""

import pytest
from django.core.management import call_command
from django.forms.models import model_to_dict

from referrals.models import (
    ConsentRecord,
    DeliveryRequest,
    DeliveryRequestEvent,
    Enrolment,
    Feedback,
    NaviApplication,
    Recipient,
    Referral,
    ReferralEvent,
)

pytestmark = pytest.mark.django_db

MODELS = [
    Recipient,
    DeliveryRequest,
    DeliveryRequestEvent,
    ConsentRecord,
    NaviApplication,
    Enrolment,
    Referral,
    ReferralEvent,
    Feedback,
]


def _snapshot():
    return {m.__name__: [model_to_dict(o) for o in m.objects.order_by("pk")] for m in MODELS}


def test_demo_requests_load_once():
    call_command("load_demo_data", quiet=True)
    first = _snapshot()

    call_command("load_demo_data", quiet=True)

    assert _snapshot() == first


def test_demo_has_requests_in_several_states_from_both_case_workers():
    call_command("load_demo_data", quiet=True)

    by_worker = {
        (r.filed_by.username, r.status)
        for r in DeliveryRequest.objects.select_related("filed_by").filter(source="agency")
    }
    assert by_worker == {
        ("caseworker_sapporo", "submitted"),
        ("caseworker_sapporo", "approved"),
        ("caseworker_sapporo", "shipped"),
        ("caseworker_ebetsu", "submitted"),
        ("caseworker_ebetsu", "declined"),
        ("caseworker_ebetsu", "delivered"),
    }
    navi = DeliveryRequest.objects.get(source="navi")
    assert (navi.status, navi.navi_application.wants_referral) == ("submitted", True)
    enrolment = Enrolment.objects.get()
    assert (enrolment.active, enrolment.recipient.household_type) == (True, "single_parent")
    shipped = DeliveryRequest.objects.get(status="shipped")
    number = shipped.tracking_number
    assert len(number) == 12
    assert int(number[:11]) % 7 == int(number[11])


def test_demo_window_sapporo_has_a_referral_in_its_inbox(client):
    from django.contrib.auth import get_user_model

    from referrals import selectors

    call_command("load_demo_data", quiet=True)

    user = get_user_model().objects.get(username="window_sapporo")
    inbox = list(selectors.inbox_referrals(user))
    assert [(r.status, r.target_site.code) for r in inbox] == [("sent", "window-sapporo")]
    ebetsu = Referral.objects.get(target_organisation__code="ebetsu-shakyo")
    assert ebetsu.status == "contacted"
    assert sorted(Feedback.objects.values_list("may_be_published", flat=True)) == [False, True]
    client.force_login(user)
    html = client.get("/referrals/inbox/").content.decode()
    assert "北野 さくら" in html
