"""The named person behind a window handout who asks to be referred (API and page), and feedback
from recipients (API and page): private messages never leave the coordinator (issue 6)."""

from datetime import date

import pytest
from django.test import Client

from foodbank.models import AuditEvent
from inventory import services as inventory_services
from referrals.models import ConsentRecord, Feedback, HandoutContact, Recipient, Referral
from tests.inventory.helpers import put_stock

pytestmark = pytest.mark.django_db

CONTACT = {
    "name": "小樽 太郎",
    "name_kana": "オタル タロウ",
    "phone": "090-2222-3333",
    "data_categories": ["identity", "contact"],
}


@pytest.fixture
def stocked(network, catalogue):
    put_stock(network.window_a, pack_type=catalogue.day3, quantity=5)
    put_stock(network.window_b, pack_type=catalogue.day3, quantity=5)
    return network


def hand_out(site, user, *, referral_consent=True):
    return inventory_services.record_handout(
        site=site,
        lines={"day3": 1},
        household_size=2,
        household_type="single_parent",
        referral_consent=referral_consent,
        recorded_by=user,
    )


def contact_url(handout) -> str:
    return f"/api/v1/handouts/{handout.pk}/referral-contact/"


def nothing_written():
    return (
        HandoutContact.objects.count(),
        Recipient.objects.count(),
        ConsentRecord.objects.count(),
    ) == (0, 0, 0)


# --- API ------------------------------------------------------------------------------------------


def test_a_contact_after_a_handout_whose_household_was_not_recorded(api, stocked, window_staff_a):
    # given a handout tapped in two taps: household left 未記入 (unknown, no size)
    handout = inventory_services.record_handout(
        site=stocked.window_a, lines={"day3": 1}, referral_consent=True, recorded_by=window_staff_a
    )
    assert (handout.household_type, handout.household_size) == ("unknown", None)

    # when the person's contact is recorded
    response = api(window_staff_a).post(contact_url(handout), CONTACT, format="json")

    # then the recipient gets the type "other" (a recipient's type is one of the shared codes) and one
    # adult: nothing more is invented
    assert response.status_code == 201, response.content
    person = HandoutContact.objects.get().recipient
    assert (person.household_type, person.adults, person.children) == ("other", 1, 0)


def test_window_staff_record_the_contact_and_the_coordinator_refers(
    api, stocked, window_staff_a, coordinator
):
    # given a handout at window A where the person agreed to be referred
    handout = hand_out(stocked.window_a, window_staff_a)
    # when window A's staff record their name and contact
    response = api(window_staff_a).post(contact_url(handout), CONTACT, format="json")
    # then the person and a verbal referral consent (the staff member as witness) are recorded
    assert response.status_code == 201, response.content
    body = response.json()
    contact = HandoutContact.objects.get()
    assert body["handout"] == handout.pk
    assert body["recipient"] == contact.recipient_id
    assert body["consent"]["purpose"] == "referral"
    assert body["consent"]["data_categories"] == ["identity", "contact"]
    assert body["consent"]["method"] == "verbal"
    person = contact.recipient
    assert (person.name, person.phone, person.municipality, person.household_type) == (
        "小樽 太郎",
        "+819022223333",
        stocked.window_a.municipality,
        "single_parent",
    )
    consent = ConsentRecord.objects.get()
    assert consent.witness_name in (window_staff_a.get_full_name(), window_staff_a.get_username())
    assert consent.data_recipients == ["consultation_service"]
    # when the coordinator refers the handout's person
    referred = api(coordinator).post("/api/v1/referrals/", {"handout": handout.pk}, format="json")
    # then it goes to the window of the person's municipality, sharing name and phone only
    assert referred.status_code == 201, referred.content
    referral = Referral.objects.get()
    assert (referral.source, referral.handout_id, referral.target_site_id) == (
        "handout",
        handout.pk,
        stocked.window_a.pk,
    )
    assert referred.json()["person"]["phone"] == "090-2222-3333"
    assert "household" not in referred.json()["person"]


def test_a_handout_without_referral_consent_is_refused_and_nothing_is_written(api, stocked, window_staff_a):
    handout = hand_out(stocked.window_a, window_staff_a, referral_consent=False)
    response = api(window_staff_a).post(contact_url(handout), CONTACT, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "consent_required"
    assert nothing_written()


def test_the_contact_is_recorded_once(api, stocked, window_staff_a):
    handout = hand_out(stocked.window_a, window_staff_a)
    client = api(window_staff_a)
    assert client.post(contact_url(handout), CONTACT, format="json").status_code == 201
    again = client.post(contact_url(handout), {**CONTACT, "name": "別人"}, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "contact_already_recorded"
    assert Recipient.objects.get().name == "小樽 太郎"


def test_staff_of_another_window_get_404_and_other_roles_403(
    api, stocked, window_staff_a, window_staff_b, coordinator, case_worker_a
):
    handout = hand_out(stocked.window_a, window_staff_a)
    assert api(window_staff_b).post(contact_url(handout), CONTACT, format="json").status_code == 404
    assert api(coordinator).post(contact_url(handout), CONTACT, format="json").status_code == 403
    assert api(case_worker_a).post(contact_url(handout), CONTACT, format="json").status_code == 403
    assert api(None).post(contact_url(handout), CONTACT, format="json").status_code == 401
    assert nothing_written()


def test_a_bad_phone_number_is_a_field_error(api, stocked, window_staff_a):
    handout = hand_out(stocked.window_a, window_staff_a)
    response = api(window_staff_a).post(contact_url(handout), {**CONTACT, "phone": "12"}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["phone"]
    assert nothing_written()


# --- The window page ------------------------------------------------------------------------------


def test_window_page_offers_the_referral_step_after_a_consenting_handout(client, stocked, window_staff_a):
    handout = hand_out(stocked.window_a, window_staff_a)
    client.force_login(window_staff_a)
    html = client.get(f"/windows/{stocked.window_a.pk}/?recorded={handout.pk}").content.decode()
    assert f'href="/handouts/{handout.pk}/referral-contact/"' in html
    assert "相談先への紹介を希望する" in html
    # and not after a handout without consent
    other = hand_out(stocked.window_a, window_staff_a, referral_consent=False)
    html = client.get(f"/windows/{stocked.window_a.pk}/?recorded={other.pk}").content.decode()
    assert "/referral-contact/" not in html


def test_window_staff_record_the_contact_on_the_page(client, stocked, window_staff_a):
    handout = hand_out(stocked.window_a, window_staff_a)
    client.force_login(window_staff_a)
    page = client.get(f"/handouts/{handout.pk}/referral-contact/")
    assert page.status_code == 200
    html = page.content.decode()
    for field in ("id_name", "id_phone", "id_name_kana", "id_categories_0", "id_method_0"):
        assert f'for="{field}"' in html
    response = client.post(
        f"/handouts/{handout.pk}/referral-contact/",
        {
            "name": "小樽 太郎",
            "phone": "090-2222-3333",
            "categories": ["identity", "contact", "household"],
            "method": "verbal",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == f"/windows/{stocked.window_a.pk}/"
    consent = ConsentRecord.objects.get()
    assert consent.data_categories == ["identity", "contact", "household"]
    assert HandoutContact.objects.get().handout_id == handout.pk
    # and the coordinator sees the person waiting for a referral
    assert AuditEvent.objects.filter(object_type="handout_contact").count() == 1


def test_page_keeps_the_input_and_shows_the_error_on_a_bad_phone(client, stocked, window_staff_a):
    handout = hand_out(stocked.window_a, window_staff_a)
    client.force_login(window_staff_a)
    response = client.post(
        f"/handouts/{handout.pk}/referral-contact/",
        {"name": "小樽 太郎", "phone": "12", "categories": ["identity"], "method": "verbal"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'value="小樽 太郎"' in html
    assert 'id="id_phone_error"' in html
    assert nothing_written()


def test_handout_contact_page_of_another_window_is_404(client, stocked, window_staff_a, window_staff_b):
    handout = hand_out(stocked.window_a, window_staff_a)
    client.force_login(window_staff_b)
    assert client.get(f"/handouts/{handout.pk}/referral-contact/").status_code == 404


def test_coordinator_refers_a_waiting_handout_contact_from_the_trail_page(
    client, api, stocked, window_staff_a, coordinator
):
    handout = hand_out(stocked.window_a, window_staff_a)
    api(window_staff_a).post(contact_url(handout), CONTACT, format="json")
    contact = HandoutContact.objects.get()
    client.force_login(coordinator)
    html = client.get("/referrals/").content.decode()
    assert f'action="/referrals/handout-contacts/{contact.pk}/refer/"' in html
    client.post(f"/referrals/handout-contacts/{contact.pk}/refer/", {"target": ""})
    referral = Referral.objects.get()
    assert (referral.handout_id, referral.target_site_id) == (handout.pk, stocked.window_a.pk)
    assert (
        f"/referrals/handout-contacts/{contact.pk}/refer/" not in client.get("/referrals/").content.decode()
    )


# --- Feedback -------------------------------------------------------------------------------------


def export(user) -> str:
    client = Client()
    client.force_login(user)
    response = client.get("/feedback/export.csv")
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode("utf-8-sig")


def test_coordinator_records_feedback_through_the_api(api, network, coordinator):
    client = api(coordinator)
    published = client.post(
        "/api/v1/feedback/",
        {"message": "本当に助かりました", "may_be_published": True, "received_on": "2025-06-01"},
        format="json",
    )
    private = client.post(
        "/api/v1/feedback/",
        {"message": "夫には知られたくない", "may_be_published": False, "received_on": "2025-06-02"},
        format="json",
    )
    assert (published.status_code, private.status_code) == (201, 201)
    assert private.json()["may_be_published"] is False
    # the coordinator lists both; the export holds only the publishable one
    listed = client.get("/api/v1/feedback/").json()
    assert [f["message"] for f in listed["results"]] == ["夫には知られたくない", "本当に助かりました"]
    assert export(coordinator) == "received_on,message\r\n2025-06-01,本当に助かりました\r\n"


def test_the_publication_choice_is_required(api, network, coordinator):
    response = api(coordinator).post("/api/v1/feedback/", {"message": "ありがとう"}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["may_be_published"]
    assert Feedback.objects.count() == 0


@pytest.mark.parametrize("actor", ["window_staff_a", "case_worker_a", "volunteer", "integration"])
def test_feedback_api_is_for_coordinators_only(api, request, network, actor):
    client = api(request.getfixturevalue(actor))
    assert client.get("/api/v1/feedback/").status_code == 403
    response = client.post("/api/v1/feedback/", {"message": "x", "may_be_published": True}, format="json")
    assert response.status_code == 403
    assert Feedback.objects.count() == 0


def test_coordinator_of_another_food_bank_neither_sees_nor_exports_it(
    api, network, coordinator, other_coordinator
):
    api(coordinator).post("/api/v1/feedback/", {"message": "公開OK", "may_be_published": True}, format="json")
    assert api(other_coordinator).get("/api/v1/feedback/").json()["count"] == 0
    assert export(other_coordinator) == "received_on,message\r\n"


def test_feedback_page_records_a_private_message_that_never_reaches_the_export(client, network, coordinator):
    client.force_login(coordinator)
    page = client.get("/feedback/")
    assert page.status_code == 200
    assert 'for="id_publication_0"' in page.content.decode()
    response = client.post(
        "/feedback/", {"message": "家族には内緒で", "received_on": "2025-06-03", "publication": "private"}
    )
    assert response.status_code == 302
    feedback = Feedback.objects.get()
    assert (feedback.message, feedback.may_be_published, feedback.received_on) == (
        "家族には内緒で",
        False,
        date(2025, 6, 3),
    )
    html = client.get("/feedback/").content.decode()
    assert "家族には内緒で" in html
    assert "非公開" in html
    assert "家族には内緒で" not in export(coordinator)


@pytest.mark.parametrize("actor", ["window_staff_a", "case_worker_a", "volunteer"])
def test_feedback_page_is_for_coordinators_only(client, request, network, actor):
    client.force_login(request.getfixturevalue(actor))
    assert client.get("/feedback/").status_code == 403
    assert (
        client.post(
            "/feedback/", {"message": "x", "received_on": "2025-06-03", "publication": "publish"}
        ).status_code
        == 403
    )
    assert Feedback.objects.count() == 0
