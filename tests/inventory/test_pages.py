"""The window page (phone first, Japanese) and the coordinators' overview."""

import re

import pytest

from foodbank.models import IdempotencyKey
from inventory import services
from inventory.models import Handout, RestockShipment, StockMovement

from .helpers import put_stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def window(network, catalogue):
    put_stock(network.window_a, pack_type=catalogue.day3, quantity=5)
    put_stock(network.window_a, pack_type=catalogue.day1, quantity=1)
    return network.window_a


def page_url(site) -> str:
    return f"/windows/{site.pk}/"


def rendered_key(html: str) -> str:
    return re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', html).group(1)


def handout_form(html: str, **values) -> dict:
    # What the browser sends after two taps: the household left "not recorded", the condition
    # check left ticked.
    data = {
        "idempotency_key": rendered_key(html),
        "household_size": "",
        "household_type": "unknown",
        "condition_checked": "on",
    }
    data.update(values)
    return data


def test_window_page_is_japanese_and_shows_stock_at_a_glance(client, window, window_staff_a):
    client.force_login(window_staff_a)

    response = client.get(page_url(window))

    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="ja">' in html
    assert 'name="viewport"' in html
    assert "3日分セット" in html
    assert 'aria-label="在庫 5"' in html
    assert 'aria-label="在庫 1"' in html
    # the two-tap choices, each a labelled radio button, and the confirm button
    for value, label in (("day1", "1日分"), ("day3", "3日分"), ("day3+day1", "3日分＋1日分")):
        assert f'id="choice-{value}" value="{value}"' in html
        assert f'<label class="tile" for="choice-{value}">{label}</label>' in html
    assert "配布を記録する" in html
    assert "相談窓口への紹介に本人が同意している" in html
    assert 'for="id_household_size">世帯人数</label>' in html
    assert "data-once" in html


def test_three_plus_one_days_takes_two_taps(client, window, window_staff_a):
    client.force_login(window_staff_a)
    html = client.get(page_url(window)).content.decode()

    # Tap "3 + 1 days", tap "record"
    response = client.post(page_url(window), handout_form(html, choice="day3+day1"))

    handout = Handout.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{page_url(window)}?recorded={handout.pk}"
    assert sorted((x.pack_type.code, x.quantity) for x in handout.lines.all()) == [("day1", 1), ("day3", 1)]
    # the two taps invent no household: it is "not recorded"
    assert (handout.household_size, handout.household_type, handout.referral_consent) == (
        None,
        "unknown",
        False,
    )
    assert handout.recorded_by == window_staff_a
    after = client.get(response["Location"]).content.decode()
    assert f"記録しました（No. {handout.pk}）" in after
    assert 'aria-label="在庫 4"' in after
    assert 'aria-label="在庫 0"' in after


def test_a_double_tap_or_a_retry_records_once(client, window, window_staff_a):
    client.force_login(window_staff_a)
    html = client.get(page_url(window)).content.decode()
    data = handout_form(
        html, choice="day3", referral_consent="on", household_size="3", household_type="family"
    )

    first = client.post(page_url(window), data)
    second = client.post(page_url(window), data)

    assert Handout.objects.count() == 1
    assert first["Location"] == second["Location"]
    assert Handout.objects.get().referral_consent is True
    assert StockMovement.objects.filter(kind="handout").count() == 1


def test_short_stock_says_so_in_japanese_and_records_nothing(client, window, window_staff_a):
    client.force_login(window_staff_a)
    html = client.get(page_url(window)).content.decode()
    client.post(page_url(window), handout_form(html, choice="day1"))  # the last one-day set
    html = client.get(page_url(window)).content.decode()
    key = rendered_key(html)

    response = client.post(page_url(window), handout_form(html, choice="day3+day1"))

    assert response.status_code == 409
    page = response.content.decode()
    assert "在庫が足りません（1日分セット: 残り 0、必要 1）。何も記録していません。" in page
    assert Handout.objects.count() == 1
    assert rendered_key(page) != key  # a fresh form, ready for a corrected attempt
    assert not IdempotencyKey.objects.filter(key=key).exists()


def test_other_amounts(client, window, window_staff_a):
    client.force_login(window_staff_a)
    html = client.get(page_url(window)).content.decode()

    empty = client.post(page_url(window), handout_form(html, choice="custom", qty_day1="0", qty_day3="0"))
    assert empty.status_code == 400
    assert "少なくとも1種類のセット数を入力してください。" in empty.content.decode()

    html = empty.content.decode()
    client.post(page_url(window), handout_form(html, choice="custom", qty_day1="0", qty_day3="2"))
    assert [(x.pack_type.code, x.quantity) for x in Handout.objects.get().lines.all()] == [("day3", 2)]


def test_who_may_open_the_window_page(client, window, window_staff_b, coordinator, case_worker_a):
    client.force_login(window_staff_b)
    assert client.get(page_url(window)).status_code == 404

    client.force_login(case_worker_a)
    assert client.get(page_url(window)).status_code == 404

    # Coordinators see the page without the handout form, and may not post handouts
    client.force_login(coordinator)
    response = client.get(page_url(window))
    assert response.status_code == 200
    assert "配布を記録する" not in response.content.decode()
    assert client.post(page_url(window), {"choice": "day3"}).status_code == 403
    assert not Handout.objects.exists()


def test_restock_request_and_receipt_from_the_page(client, window, catalogue, network, window_staff_a):
    services.set_par_level(site=window, pack_type=catalogue.day1, par=6)
    client.force_login(window_staff_a)
    html = client.get(page_url(window)).content.decode()
    # The request is filled in up to par (6 - 1 on hand)
    assert 'name="qty_day1" id="restock-qty_day1" min="0" max="1000" value="5"' in html
    restock_key = re.findall(r'name="idempotency_key" value="([0-9a-f]{32})"', html)[1]
    data = {"idempotency_key": restock_key, "qty_day1": "5", "qty_day3": "0", "qty_home": "0", "note": ""}

    first = client.post(f"/windows/{window.pk}/restock/", data)
    client.post(f"/windows/{window.pk}/restock/", data)  # a double tap

    shipment = RestockShipment.objects.get()
    assert first.status_code == 302
    assert (shipment.status, shipment.origin, shipment.requested_by) == (
        "requested",
        "window",
        window_staff_a,
    )
    assert [(x.pack_type.code, x.quantity) for x in shipment.lines.all()] == [("day1", 5)]

    # The food bank sends it; the page offers to confirm arrival
    put_stock(network.warehouse, pack_type=catalogue.day1, quantity=10)
    services.approve_restock(shipment_id=shipment.pk, approved_by=None)
    services.mark_restock_packed(shipment_id=shipment.pk)
    html = client.get(page_url(window)).content.decode()
    assert "輸送中 5" in html
    assert "受け取りを確認" in html
    client.post(f"/windows/{window.pk}/restocks/{shipment.pk}/receive/")
    assert RestockShipment.objects.get().status == "received"
    assert 'aria-label="在庫 6"' in client.get(page_url(window)).content.decode()


def test_undo_a_handout_from_the_page(client, window, window_staff_a):
    client.force_login(window_staff_a)
    html = client.get(page_url(window)).content.decode()
    client.post(page_url(window), handout_form(html, choice="day3"))
    handout = Handout.objects.get()
    assert (
        f"/windows/{window.pk}/handouts/{handout.pk}/void/" in client.get(page_url(window)).content.decode()
    )

    client.post(f"/windows/{window.pk}/handouts/{handout.pk}/void/")

    handout.refresh_from_db()
    assert handout.voided_at is not None
    assert 'aria-label="在庫 5"' in client.get(page_url(window)).content.decode()


def test_coordinator_overview_and_approval(client, window, catalogue, network, coordinator, window_staff_a):
    shipment = services.request_restock(site=window, lines={catalogue.day3: 4}, requested_by=window_staff_a)
    client.force_login(coordinator)

    response = client.get("/inventory/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "承認待ちの補充" in html
    assert network.window_a.name in html
    assert f"/inventory/restocks/{shipment.pk}/approve/" in html

    client.post(f"/inventory/restocks/{shipment.pk}/approve/")
    assert RestockShipment.objects.get().status == "approved"

    client.force_login(window_staff_a)
    assert client.get("/inventory/").status_code == 403


def test_start_page_links(client, network, window_staff_a, coordinator):
    client.force_login(window_staff_a)
    html = client.get("/").content.decode()
    assert f'href="/windows/{network.window_a.pk}/">在庫と配布</a>' in html

    client.force_login(coordinator)
    assert 'href="/inventory/">在庫と補充</a>' in client.get("/").content.decode()
