"""Pages: the case worker's form and list, the coordinator's triage (Japanese by default)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from referrals.models import DeliveryRequest

from .factories import TRACKING_URL, bring_to, file_request

pytestmark = pytest.mark.django_db

FORM = {
    "name": "山田 花子",
    "name_kana": "ヤマダ ハナコ",
    "phone": "090-1234-5678",
    "postal_code": "047-0024",
    "address": "花園2丁目6-7",
    "building": "",
    "household_type": "single_parent",
    "adults": "1",
    "children": "2",
    "children_ages": "4、9",
    "infants": "1",
    "elderly": "0",
    "situation_category": "welfare_pending",
    "situation_note": "生活保護申請中",
    "days_needed": "7",
    "cooking": ["electricity", "microwave"],
    "allergies": "えび",
    "dietary_note": "",
    "diapers_size": "M",
    "gas_canisters": "",
    "other_extra": "",
    "delivery_date": "",
    "time_slot": "1416",
    "consent_share": "on",
    "consent_referral": "yes",
    "consent_phone": "",
    "consent_method": "signed_form",
    "witness_name": "",
    "guardian_name": "",
    "client_reference": "",
}


def test_case_worker_files_through_the_form(client, network, case_worker_a):
    client.force_login(case_worker_a)

    page = client.get("/requests/new/")
    assert page.status_code == 200
    html = page.content.decode()
    assert '<html lang="ja">' in html
    assert '<label for="id_postal_code">' in html

    response = client.post("/requests/new/", FORM)

    request = DeliveryRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/requests/{request.pk}/"
    assert (request.agency, request.filed_by, request.status) == (
        network.agency_a,
        case_worker_a,
        "submitted",
    )
    assert request.recipient.children_ages == [4, 9]
    assert (request.electricity, request.microwave, request.gas) == (True, True, False)
    assert request.extras == [{"item": "diapers", "size": "M", "quantity": 1, "note": ""}]
    assert sorted(request.recipient.consents.values_list("purpose", "decision")) == [
        ("referral", "given"),
        ("share_with_foodbank", "given"),
    ]
    detail = client.get(response["Location"])
    assert request.reference in detail.content.decode()


def test_a_wrong_postal_code_is_shown_on_its_field_and_nothing_typed_is_lost(client, case_worker_a):
    client.force_login(case_worker_a)

    response = client.post("/requests/new/", {**FORM, "postal_code": "000-0000", "phone": "12"})

    assert response.status_code == 400
    html = response.content.decode()
    # the errors sit with their fields (and in the summary at the top)
    postal = html[html.index('id="field-postal_code"') :]
    postal = postal[: postal.index("</div>")]
    assert "郵便番号" in postal
    assert 'class="errorlist"' in postal
    phone = html[html.index('id="field-phone"') :]
    assert 'class="errorlist"' in phone[: phone.index("</div>")]
    # and what was typed is still there
    assert 'value="山田 花子"' in html
    assert "生活保護申請中" in html
    assert 'value="000-0000"' in html
    assert not DeliveryRequest.objects.exists()


def test_no_consent_and_past_date_are_field_errors(client, case_worker_a):
    client.force_login(case_worker_a)
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()

    response = client.post("/requests/new/", {**FORM, "consent_share": "", "delivery_date": yesterday})

    assert response.status_code == 400
    html = response.content.decode()
    for field in ("consent_share", "delivery_date"):
        block = html[html.index(f'id="field-{field}"') :]
        assert 'class="errorlist"' in block[: block.index("</div>")], field
    assert not DeliveryRequest.objects.exists()


@pytest.mark.parametrize("actor", ["volunteer", "coordinator", "window_staff_a"])
def test_only_case_workers_get_the_form(client, request, actor):
    client.force_login(request.getfixturevalue(actor))

    assert client.get("/requests/new/").status_code == 403
    assert client.post("/requests/new/", FORM).status_code == 403
    assert not DeliveryRequest.objects.exists()


def test_case_worker_list_shows_status_and_tracking_link(
    client, submitted, agency_b_request, case_worker_a, coordinator
):
    bring_to(submitted, "shipped", coordinator)
    client.force_login(case_worker_a)

    html = client.get("/requests/").content.decode()

    assert submitted.reference in html
    assert agency_b_request.reference not in html
    assert TRACKING_URL.replace("&", "&amp;") in html
    assert "発送済み" in html
    assert client.get(f"/requests/{agency_b_request.pk}/").status_code == 404


def test_volunteers_do_not_see_requests(client, submitted, volunteer):
    client.force_login(volunteer)

    assert client.get("/requests/").status_code == 403
    assert client.get(f"/requests/{submitted.pk}/").status_code == 403
    assert client.get("/triage/").status_code == 403


def test_triage_queue_oldest_first_with_flags_and_cutoff(
    client, network, case_worker_a, case_worker_b, coordinator
):
    older = file_request(case_worker_b, network.agency_b, infants=0, cooking={"gas": True})
    newer = file_request(case_worker_a, network.agency_a, no_food_today=True)
    DeliveryRequest.objects.filter(pk=older.pk).update(submitted_at=timezone.now() - timedelta(hours=3))
    approved = file_request(case_worker_a, network.agency_a)
    bring_to(approved, "approved", coordinator)
    client.force_login(coordinator)

    html = client.get("/triage/").content.decode()

    assert html.index(older.reference) < html.index(newer.reference)
    assert approved.reference not in html
    card = html[html.index(f'id="r{newer.pk}"') :]
    card = card[: card.index("</li>")]
    for flag in ("今日の食料なし", "乳幼児", "調理不可"):
        assert flag in card
    older_card = html[html.index(f'id="r{older.pk}"') :]
    older_card = older_card[: older_card.index("</li>")]
    assert "今日の食料なし" not in older_card
    assert "締切" in html


def test_triage_approves_and_declines_in_one_action_each(client, network, case_worker_a, coordinator):
    first = file_request(case_worker_a, network.agency_a)
    second = file_request(case_worker_a, network.agency_a)
    client.force_login(coordinator)

    approve = client.post(f"/triage/{first.pk}/approve/")
    unreasoned = client.post(f"/triage/{second.pk}/decline/", {"reason": " "})
    second.refresh_from_db()
    assert second.status == "submitted"
    decline = client.post(f"/triage/{second.pk}/decline/", {"reason": "区域外"})

    assert approve.status_code == decline.status_code == unreasoned.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == "approved"
    assert (second.status, second.decline_reason) == ("declined", "区域外")


def test_case_workers_may_not_triage(client, submitted, case_worker_a):
    client.force_login(case_worker_a)

    assert client.get("/triage/").status_code == 403
    assert client.post(f"/triage/{submitted.pk}/approve/").status_code == 403
    submitted.refresh_from_db()
    assert submitted.status == "submitted"


def test_cancel_from_the_request_page(client, submitted, case_worker_a):
    client.force_login(case_worker_a)

    response = client.post(f"/requests/{submitted.pk}/cancel/", {"reason": "辞退"})

    assert response.status_code == 302
    submitted.refresh_from_db()
    assert (submitted.status, submitted.cancel_reason) == ("cancelled", "辞退")


def test_start_page_links(client, case_worker_a, coordinator):
    client.force_login(case_worker_a)
    worker_home = client.get("/").content.decode()
    client.force_login(coordinator)
    coordinator_home = client.get("/").content.decode()

    assert 'href="/requests/new/"' in worker_home
    assert 'href="/requests/"' in worker_home
    assert 'href="/triage/"' in coordinator_home


def test_the_form_offers_the_allergens_by_name_and_the_request_page_shows_them(client, case_worker_a):
    client.force_login(case_worker_a)

    # The 8 mandatory allergens first, then the 20 recommended, by their Japanese names
    html = client.get("/requests/new/").content.decode()
    field = html[html.index('id="field-allergens"') :]
    field = field[: field.index("</div>")]
    positions = [field.index(f" {name}</label>") for name in ("えび", "落花生", "アーモンド", "ゼラチン")]
    assert positions == sorted(positions)
    assert field.count('type="checkbox"') == 28

    response = client.post("/requests/new/", {**FORM, "allergies": "", "allergens": ["shrimp", "wheat"]})

    assert response.status_code == 302
    request = DeliveryRequest.objects.get()
    assert request.allergens == ["shrimp", "wheat"]
    assert request.allergies == ""
    detail = client.get(response["Location"]).content.decode()
    shown = detail[detail.index("<dt>アレルゲン</dt>") :]
    shown = shown[: shown.index("</dd>")]
    assert "えび" in shown
    assert "小麦" in shown


def test_an_unknown_allergen_on_the_form_is_a_field_error(client, case_worker_a):
    client.force_login(case_worker_a)

    response = client.post("/requests/new/", {**FORM, "allergens": ["lobster"]})

    assert response.status_code == 400
    html = response.content.decode()
    field = html[html.index('id="field-allergens"') :]
    assert 'class="errorlist"' in field[: field.index("</div>")]
    assert 'class="field has-error" id="field-allergens"' in html
    assert DeliveryRequest.objects.count() == 0
