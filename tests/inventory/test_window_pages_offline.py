"""The window page's service worker, manifest, month's tally and paged history (issue 16)."""

import json
from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from foodbank.models import Role
from inventory import services
from inventory.models import Balance, StockMovement, StockTake
from tests.helpers import make_actor

from .helpers import put_stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def window(network, catalogue):
    put_stock(network.window_a, pack_type=catalogue.day3, quantity=40)
    put_stock(network.window_a, pack_type=catalogue.day1, quantity=40)
    return network.window_a


def _hand_out(site, user, lines, when=None):
    return services.record_handout(site=site, lines=lines, recorded_by=user, occurred_at=when)


def test_the_service_worker_is_served_under_windows_with_its_configuration(client):
    response = client.get("/windows/sw.js")

    # served without a login (an update check must not become a redirect), never from a cache
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    body = response.content.decode()
    config = json.loads(body.split("\n", 1)[0].removeprefix("self.FB = ").removesuffix(";"))
    assert config["urls"] == {"me": "/api/v1/me/", "handouts": "/api/v1/handouts/"}
    assert "/static/inventory/window.js" in config["assets"]
    assert config["assetsCache"].startswith("window-assets-")
    assert 'addEventListener("fetch"' in body


def test_the_manifest_names_the_app_in_japanese_and_opens_the_window_page(client, window):
    response = client.get(f"/windows/manifest.webmanifest?site={window.pk}")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = response.json()
    assert (manifest["name"], manifest["start_url"], manifest["display"]) == (
        "窓口配布",
        f"/windows/{window.pk}/",
        "standalone",
    )
    assert {icon["sizes"] for icon in manifest["icons"]} == {"192x192", "512x512", "any"}


def test_the_window_page_links_the_manifest_and_gives_its_script_the_stock(client, window, window_staff_a):
    client.force_login(window_staff_a)

    html = client.get(f"/windows/{window.pk}/").content.decode()

    assert f'rel="manifest" href="/windows/manifest.webmanifest?site={window.pk}"' in html
    config = json.loads(
        html.split('<script id="window-config" type="application/json">')[1].split("</script>")[0]
    )
    assert config["site"] == window.pk
    assert config["user"] == "window_a"
    assert config["stock"] == {"day1": 40, "day3": 40}
    assert config["strings"]["unsent"] == "未送信 %(n)s件"
    assert '<script src="/static/inventory/window.js">' in html


def test_the_months_tally_counts_by_when_it_happened(client, window, window_staff_a):
    today = timezone.localdate()
    first = today.replace(day=1)
    tz = timezone.get_current_timezone()
    # two this month (one of them voided), one on the last minute of last month
    _hand_out(window, window_staff_a, {"day3": 1, "day1": 1}, datetime.combine(first, time(0, 0), tzinfo=tz))
    voided = _hand_out(window, window_staff_a, {"day3": 2})
    services.void_handout(handout_id=voided.pk, voided_by=window_staff_a)
    _hand_out(window, window_staff_a, {"day1": 1})
    last_month = datetime.combine(first, time(0, 0), tzinfo=tz) - timedelta(minutes=1)
    _hand_out(window, window_staff_a, {"day3": 5}, last_month)
    client.force_login(window_staff_a)

    html = client.get(f"/windows/{window.pk}/").content.decode()

    assert f"今月（{first:%Y-%m}）" in html
    tally = html.split('<p class="tally">')[1].split("</p>")[0]
    assert tally == "2件、3セット (1日分セット × 2、3日分セット × 1)"


def test_history_pages_every_handout_30_at_a_time(
    client, window, window_staff_a, window_staff_b, coordinator
):
    for _n in range(31):
        _hand_out(window, window_staff_a, {"day1": 1})
    client.force_login(window_staff_a)

    first = client.get(f"/windows/{window.pk}/history/")
    second = client.get(f"/windows/{window.pk}/history/?page=2")

    assert first.status_code == 200
    assert first.content.decode().count("<li>") == 30
    assert "全31件 · 1 / 2ページ" in first.content.decode()
    assert second.content.decode().count("<li>") == 1
    # the window page links it; other windows' staff do not see it; coordinators read it
    assert f'href="/windows/{window.pk}/history/"' in client.get(f"/windows/{window.pk}/").content.decode()
    client.force_login(window_staff_b)
    assert client.get(f"/windows/{window.pk}/history/").status_code == 404
    client.force_login(coordinator)
    assert client.get(f"/windows/{window.pk}/history/").status_code == 200


# --- Write-off and count from the phone --------------------------------------------------------


def _lot(site, code):
    return Balance.objects.get(site=site, pack_type__code=code)


def test_write_off_an_expired_set_from_the_phone(client, window, window_staff_a, catalogue):
    client.force_login(window_staff_a)
    page = client.get(f"/windows/{window.pk}/stock/").content.decode()
    key = page.split('name="idempotency_key" value="')[1][:32]
    lot = _lot(window, "day3")
    body = {"idempotency_key": key, "lot": lot.pk, "quantity": "2", "reason": "damaged"}

    # When the staff member writes off two damaged 3-day sets, with a double tap
    first = client.post(f"/windows/{window.pk}/stock/write-off/", body)
    second = client.post(f"/windows/{window.pk}/stock/write-off/", body)

    # Then one write-off with its reason is in the ledger, and the page says so
    assert first.status_code == second.status_code == 302
    movement = StockMovement.objects.get(kind="write_off")
    assert (movement.quantity, movement.reason, movement.recorded_by) == (-2, "damaged", window_staff_a)
    assert _lot(window, "day3").on_hand == 38
    assert "廃棄を記録しました。" in client.get(first["Location"]).content.decode()


def test_a_write_off_beyond_the_shelf_is_refused_and_writes_nothing(client, window, window_staff_a):
    client.force_login(window_staff_a)
    page = client.get(f"/windows/{window.pk}/stock/").content.decode()
    key = page.split('name="idempotency_key" value="')[1][:32]
    before = StockMovement.objects.count()

    response = client.post(
        f"/windows/{window.pk}/stock/write-off/",
        {"idempotency_key": key, "lot": _lot(window, "day1").pk, "quantity": "41", "reason": "expired"},
    )

    assert response.status_code == 409
    assert 'role="alert"' in response.content.decode()
    assert StockMovement.objects.count() == before


def test_a_count_from_the_phone_is_confirmed_by_a_colleague_not_the_counter(
    client, network, window, window_staff_a
):
    colleague = make_actor("window_a2", Role.WINDOW_STAFF, network.agency_a, window)
    client.force_login(window_staff_a)
    lot = _lot(window, "day1")

    # When the staff member counts 38 one-day sets (the ledger says 40)
    response = client.post(
        f"/windows/{window.pk}/stock/count/", {"idempotency_key": "k1", f"counted_{lot.pk}": "38"}
    )

    # Then the count waits for confirmation; the stock is unchanged
    assert response.status_code == 302
    take = StockTake.objects.get()
    assert (take.status, take.counted_by) == ("counted", window_staff_a)
    assert _lot(window, "day1").on_hand == 40
    # and the counter cannot confirm it (no button, and a refusal if tried)
    page = client.get(f"/windows/{window.pk}/stock/").content.decode()
    assert f"/stock/counts/{take.pk}/confirm/" not in page
    refused = client.post(f"/windows/{window.pk}/stock/counts/{take.pk}/confirm/")
    assert refused.status_code == 403
    assert _lot(window, "day1").on_hand == 40

    # When a colleague confirms it, the difference is booked
    client.force_login(colleague)
    assert f"/stock/counts/{take.pk}/confirm/" in client.get(f"/windows/{window.pk}/stock/").content.decode()
    confirmed = client.post(f"/windows/{window.pk}/stock/counts/{take.pk}/confirm/")
    assert confirmed.status_code == 302
    assert _lot(window, "day1").on_hand == 38
    assert StockMovement.objects.filter(kind="adjustment", stock_take=take).get().quantity == -2
