"""The correction form (/requests/{id}/correct/, Japanese): the filing case worker corrects their
request until it is approved, through the same rules as the API (docs/referrals.md)."""

import re

import pytest

from referrals.models import DeliveryRequest, DeliveryRequestEvent, Recipient
from tests.helpers import api_client_for

from .factories import bring_to, file_request

pytestmark = pytest.mark.django_db


def _form_values(html: str) -> dict:
    """What the browser sends back unchanged: the inputs, boxes, slot and hidden version as shown."""
    values = {}
    for name in ("phone", "postal_code", "address", "building", "days_needed", "allergies", "dietary_note"):
        found = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html)
        values[name] = found.group(1) if found else ""
    values["version"] = re.search(r'name="version" value="([^"]*)"', html).group(1).replace("&quot;", '"')
    values["cooking"] = re.findall(r'<input[^>]*name="cooking" value="([^"]+)"[^>]*checked', html)
    slot = re.search(r'<select name="time_slot".*?</select>', html, re.S).group(0)
    values["time_slot"] = re.search(r'<option value="([^"]*)"[^>]*selected', slot).group(1)
    values["delivery_date"] = ""
    return values


def test_the_case_worker_corrects_the_room_number_through_the_form(client, network, case_worker_a):
    # given a request the case worker filed without the room number
    request = file_request(case_worker_a, network.agency_a, time_slot="1416", cooking={"microwave": True})
    client.force_login(case_worker_a)
    detail = client.get(f"/requests/{request.pk}/").content.decode()
    assert "この依頼を訂正する" in detail

    # when they open the form, it shows the request as filed
    page = client.get(f"/requests/{request.pk}/correct/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "依頼の訂正" in html
    assert 'value="花園2丁目6-7"' in html
    # and they add the room and save
    values = _form_values(html) | {"building": "花園ハイツ103"}
    response = client.post(f"/requests/{request.pk}/correct/", values, follow=True)

    # then the request's page shows the corrected address and the correction in its history
    assert response.redirect_chain[-1][0] == f"/requests/{request.pk}/"
    html = response.content.decode()
    assert "花園ハイツ103" in html
    assert "訂正：住所" in html
    assert Recipient.objects.get(pk=request.recipient_id).building == "花園ハイツ103"
    event = DeliveryRequestEvent.objects.filter(request=request).last()
    assert (event.fields, event.by) == (["address"], case_worker_a)


def test_a_correction_made_meanwhile_is_not_overwritten(client, network, case_worker_a, coordinator):
    # given the case worker opened the form, and the coordinator corrected the phone meanwhile
    request = file_request(case_worker_a, network.agency_a, time_slot="1416", cooking={"microwave": True})
    client.force_login(case_worker_a)
    values = _form_values(client.get(f"/requests/{request.pk}/correct/").content.decode())
    patched = api_client_for(coordinator).patch(
        f"/api/v1/delivery-requests/{request.pk}/", {"phone": "080-1111-2222"}, format="json"
    )
    assert patched.status_code == 200
    events = DeliveryRequestEvent.objects.filter(request=request).count()

    # when the case worker saves the form they opened before
    response = client.post(f"/requests/{request.pk}/correct/", values | {"building": "花園ハイツ103"})

    # then they are told to reload, and nothing of theirs is written
    assert response.status_code == 412
    assert "再読み込み" in response.content.decode()
    person = Recipient.objects.get(pk=request.recipient_id)
    assert (person.phone, person.building) == ("+818011112222", "")
    assert DeliveryRequestEvent.objects.filter(request=request).count() == events
    # and the form now shows the request as it is, so making the change again saves it
    shown = _form_values(response.content.decode())
    assert shown["phone"] != values["phone"]
    again = client.post(f"/requests/{request.pk}/correct/", shown | {"building": "花園ハイツ103"})
    assert again.status_code == 302
    person = Recipient.objects.get(pk=request.recipient_id)
    assert (person.phone, person.building) == ("+818011112222", "花園ハイツ103")


def test_a_wrong_phone_is_shown_on_its_field_and_nothing_written(client, network, case_worker_a):
    request = file_request(case_worker_a, network.agency_a, time_slot="1416", cooking={"microwave": True})
    client.force_login(case_worker_a)
    values = _form_values(client.get(f"/requests/{request.pk}/correct/").content.decode())

    response = client.post(f"/requests/{request.pk}/correct/", values | {"phone": "12345"})

    assert response.status_code == 400
    assert 'href="#field-phone"' in response.content.decode()
    assert Recipient.objects.get(pk=request.recipient_id).phone == "+819012345678"
    assert DeliveryRequestEvent.objects.filter(request=request).count() == 1


def test_once_approved_the_case_worker_is_sent_back_and_the_coordinator_may_still_correct(
    client, network, case_worker_a, coordinator
):
    request = bring_to(file_request(case_worker_a, network.agency_a), "approved", coordinator)
    client.force_login(case_worker_a)

    # the case worker no longer sees the link, and the form sends them back with the reason
    assert "この依頼を訂正する" not in client.get(f"/requests/{request.pk}/").content.decode()
    response = client.get(f"/requests/{request.pk}/correct/", follow=True)
    assert response.redirect_chain[-1][0] == f"/requests/{request.pk}/"
    assert "もう訂正できません" in response.content.decode()
    before = DeliveryRequestEvent.objects.filter(request=request).count()
    posted = client.post(f"/requests/{request.pk}/correct/", {"building": "X"})
    assert posted.status_code == 302
    assert DeliveryRequestEvent.objects.filter(request=request).count() == before

    # the coordinator sees the link on the request's page
    client.force_login(coordinator)
    assert "この依頼を訂正する" in client.get(f"/requests/{request.pk}/").content.decode()
    assert client.get(f"/requests/{request.pk}/correct/").status_code == 200
    assert DeliveryRequest.objects.get(pk=request.pk).status == "approved"


def test_the_case_worker_ticks_another_allergen_through_the_form(client, network, case_worker_a):
    # given a request filed with 卵 ticked
    request = file_request(case_worker_a, network.agency_a, allergens=["egg"], time_slot="1416")
    client.force_login(case_worker_a)

    # when they open the form, 卵 is ticked; they tick えび as well and save
    html = client.get(f"/requests/{request.pk}/correct/").content.decode()
    ticked = re.findall(r'<input[^>]*name="allergens" value="([^"]+)"[^>]*checked', html)
    assert ticked == ["egg"]
    values = _form_values(html) | {"allergens": ["shrimp", "egg"]}
    response = client.post(f"/requests/{request.pk}/correct/", values, follow=True)

    # then the request shows both by name and the correction names the field
    html = response.content.decode()
    assert "訂正：アレルゲン" in html
    shown = html[html.index("<dt>アレルゲン</dt>") :]
    assert "えび" in shown[: shown.index("</dd>")]
    assert DeliveryRequest.objects.get(pk=request.pk).allergens == ["shrimp", "egg"]
    event = DeliveryRequestEvent.objects.filter(request=request).last()
    assert event.fields == ["allergens"]
