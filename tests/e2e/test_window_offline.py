"""The window page offline (issue 16, docs/window-offline.md), in real Chromium on a phone.

Handouts tapped with no connection are kept on the device (IndexedDB) with their own
Idempotency-Key and the time of the tap, survive a reload and a restart of the browser, and are
sent once, in order, when the connection returns. Refusals wait in 「要確認」. Nothing here sleeps:
every step waits for something the page shows, or for the database through ``wait_for``.
"""

import re
from datetime import datetime, timedelta

from django.utils import timezone
from playwright.sync_api import expect

from foodbank.models import Role
from inventory import services as inventory_services
from inventory.models import Balance, Handout, StockMovement
from inventory.selectors import ledger_differences
from reports import selectors as reports
from tests.helpers import make_actor
from tests.inventory.helpers import put_stock

from .browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DEVICES,
    PHONE,
    assert_accessible,
    assert_touch_targets,
    login,
    press_on,
)

OFFLINE_READY = "この端末ではオフラインでも開けます。"
QUEUED = "この端末に保存しました（未送信）。接続が戻ったら送信します。"
# Sending a queue is several requests in a row (and a retry after a lost answer waits a second):
# on a busy machine give it longer than expect's usual 5 s. Still a wait for what the page shows.
SYNCED = 15_000

# The queue as the page stored it (IndexedDB "foodbank-window", store "handouts"), oldest first.
READ_QUEUE = """() => new Promise((resolve, reject) => {
    const open = indexedDB.open("foodbank-window");
    open.onerror = () => reject(open.error);
    open.onupgradeneeded = () => open.transaction.abort();
    open.onsuccess = () => {
        const db = open.result;
        if (!db.objectStoreNames.contains("handouts")) { db.close(); resolve([]); return; }
        const all = db.transaction("handouts").objectStore("handouts").getAll();
        all.onsuccess = () => { db.close(); resolve(all.result.sort((a, b) => a.seq - b.seq)); };
    };
})"""


def _on_hand(site, pack_type) -> int:
    return sum(Balance.objects.filter(site=site, pack_type=pack_type).values_list("on_hand", flat=True))


def _stock(page):
    return page.get_by_role("region", name="在庫")


def _hand_out(page, choice: str) -> None:
    """The two taps: a choice, then 「配布を記録する」."""
    form = page.get_by_role("region", name="配布する")
    form.get_by_text(choice, exact=True).tap()
    form.get_by_role("button", name="配布を記録する").tap()


def _open_window(page, site) -> None:
    page.goto(f"/windows/{site.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(site.name)


def _persistent_phone(browser, profile, base_url):
    """A phone whose storage (cookies, IndexedDB, the service worker and its caches) lives in
    ``profile``: closing it and launching it again is the phone switched off and on."""
    context = browser.browser_type.launch_persistent_context(
        str(profile), executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True, base_url=base_url, **PHONE
    )
    context.set_default_timeout(10_000)
    without_background_sync(context)
    return context


def without_background_sync(context) -> None:
    """Hide Background Sync from the pages of ``context``. Chromium fires it by its own view of the
    network (this machine's is always up), so the worker could send the queue at a moment the test
    does not choose, e.g. while the browser starts again. The journeys follow the page's own
    sending (on reconnect, on open, after a failure); the worker's sync runs the same queue.js."""
    context.add_init_script(
        "if (self.ServiceWorkerRegistration) {"
        " Object.defineProperty(ServiceWorkerRegistration.prototype, 'sync', {get: () => undefined}); }"
    )


class Connection:
    """Takes a browser context off the network and back, for its pages and its service worker.

    ``set_offline`` alone emulates offline for pages (and ``navigator.onLine``); Background Sync may
    still wake the worker, whose requests it does not always cover. One route on the context (it
    sees the worker's requests too) fails every request while offline, so nothing reaches the
    server until the test says so; online, requests go on untouched.
    """

    def __init__(self, context):
        self.context = context
        self.offline = False
        context.route("**/*", self._handle)

    def _handle(self, route):
        if self.offline:
            route.abort("internetdisconnected")
        else:
            route.fallback()

    def set_offline(self, offline: bool) -> None:
        self.offline = offline
        self.context.set_offline(offline)


def test_handouts_tapped_offline_survive_a_reload_and_a_restart_and_are_sent_once(
    browser, live_server, network, catalogue, window_staff_a, tmp_path, shots
):
    # Given a window holding 5 one-day and 3 three-day sets
    window = network.window_a
    put_stock(window, pack_type=catalogue.day1, quantity=5)
    put_stock(window, pack_type=catalogue.day3, quantity=3)
    movements_before = StockMovement.objects.count()
    context = _persistent_phone(browser, tmp_path / "profile", live_server.url)
    connection = Connection(context)
    page = context.new_page()
    try:
        # When the staff member opens the window page with a connection
        login(page, "window_a")
        _open_window(page, window)
        # Then it says it will open without one (the service worker has kept it)
        expect(page.get_by_text(OFFLINE_READY)).to_be_visible(timeout=SYNCED)
        assert_accessible(page)

        # When the connection goes and they hand out three times
        connection.set_offline(True)
        expect(page.get_by_text("接続がありません")).to_be_visible()
        _hand_out(page, "1日分")
        expect(page.get_by_text(QUEUED)).to_be_visible()
        _hand_out(page, "3日分")
        expect(page.get_by_text("未送信 2件")).to_be_visible()
        _hand_out(page, "3日分＋1日分")

        # Then each is shown at once as 未送信, with the count, and the stock shown goes down locally
        expect(page.get_by_text("未送信 3件")).to_be_visible()
        queue = page.get_by_role("region", name="未送信の配布")
        expect(queue.get_by_role("listitem")).to_have_count(3)
        expect(_stock(page).get_by_label("在庫 3")).to_be_visible()  # 5 one-day sets - 2
        expect(_stock(page).get_by_label("在庫 1")).to_be_visible()  # 3 three-day sets - 2
        expect(page.locator("#stock-age")).to_contain_text("時点の在庫")
        tapped = page.evaluate(READ_QUEUE)
        assert [len(item["key"]) for item in tapped] == [36, 36, 36]
        occurred = [datetime.fromisoformat(item["body"]["occurred_at"]) for item in tapped]
        assert occurred == sorted(occurred)
        assert_accessible(page)
        assert_touch_targets(page)
        shots(page, "three-queued-offline")

        # When the page is reloaded with no connection, it opens from the service worker
        response = page.reload()
        assert response is not None
        assert response.from_service_worker
        expect(page.get_by_text("未送信 3件")).to_be_visible()
        expect(_stock(page).get_by_label("在庫 3")).to_be_visible()
        assert_accessible(page)
    finally:
        # and the phone is switched off
        context.close()

    # Nothing reached the server
    assert not Handout.objects.exists()
    assert StockMovement.objects.count() == movements_before

    # When the phone is switched on again, still offline, and the page opened
    context = _persistent_phone(browser, tmp_path / "profile", live_server.url)
    connection = Connection(context)
    try:
        connection.set_offline(True)
        page = context.new_page()
        _open_window(page, window)
        expect(page.get_by_text("未送信 3件")).to_be_visible()
        went_online = timezone.now()
        # and the connection returns
        connection.set_offline(False)

        # Then the queue is sent, in order, and the page says so
        expect(page.get_by_text("未送信だった配布を3件送信しました。")).to_be_visible(timeout=SYNCED)
        expect(page.get_by_role("region", name="未送信の配布")).to_be_hidden()
        expect(_stock(page).get_by_label("在庫 3")).to_be_visible()
        assert_accessible(page)
        shots(page, "queue-sent")
    finally:
        context.close()

    # and exactly three handouts exist, with the times of the taps, and stock fell by their sets
    handouts = list(Handout.objects.order_by("pk"))
    assert [h.occurred_at for h in handouts] == occurred
    assert all(h.occurred_at < went_online <= h.recorded_at for h in handouts)
    assert [sorted(h.lines.values_list("pack_type__code", "quantity")) for h in handouts] == [
        [("day1", 1)],
        [("day3", 1)],
        [("day1", 1), ("day3", 1)],
    ]
    assert {h.recorded_by_id for h in handouts} == {window_staff_a.pk}
    assert (_on_hand(window, catalogue.day1), _on_hand(window, catalogue.day3)) == (3, 1)
    assert StockMovement.objects.count() == movements_before + 4
    assert list(ledger_differences()) == []


def test_queued_handouts_refused_on_sync_wait_in_review(
    phone, network, catalogue, window_staff_a, coordinator, shots
):
    # Given a window with 2 three-day sets and 1 one-day set
    window = network.window_a
    put_stock(window, pack_type=catalogue.day3, quantity=2)
    put_stock(window, pack_type=catalogue.day1, quantity=1)
    connection = Connection(phone.context)
    without_background_sync(phone.context)
    login(phone, "window_a")
    _open_window(phone, window)

    # When, offline, they queue two 3-day sets and then one 1-day set
    connection.set_offline(True)
    form = phone.get_by_role("region", name="配布する")
    form.get_by_text("その他の数", exact=True).tap()
    form.get_by_label("3日分セット").fill("2")
    form.get_by_role("button", name="配布を記録する").tap()
    expect(phone.get_by_text("未送信 1件")).to_be_visible()
    _hand_out(phone, "1日分")
    expect(phone.get_by_text("未送信 2件")).to_be_visible()
    tapped = phone.evaluate(READ_QUEUE)
    # while a colleague's handout (logged elsewhere) takes the last one-day set and a three-day set
    inventory_services.record_handout(site=window, lines={"day3": 1, "day1": 1}, recorded_by=window_staff_a)
    writes = (Handout.objects.count(), StockMovement.objects.count())

    # When the connection returns
    connection.set_offline(False)

    # Then both wait in 要確認 with the reason, and nothing else is written
    review = phone.get_by_role("region", name="要確認")
    items = review.get_by_role("listitem")
    expect(items).to_have_count(2, timeout=SYNCED)
    expect(items.nth(0)).to_contain_text("サーバーの在庫が足りません（3日分セット: 残り 1、必要 2）。")
    expect(items.nth(1)).to_contain_text("サーバーの在庫が足りません（1日分セット: 残り 0、必要 1）。")
    expect(phone.get_by_role("region", name="未送信の配布")).to_be_hidden()
    assert (Handout.objects.count(), StockMovement.objects.count()) == writes
    assert_accessible(phone)
    shots(phone, "review")

    # When they hand out fewer: one three-day set (the number offered is what the server has)
    first = items.nth(0)
    expect(first.get_by_label("3日分セット")).to_have_value("1")
    first.get_by_role("button", name="この数で送る").tap()

    # Then it is recorded with its original time, and leaves 要確認 (waits go through Playwright:
    # the route that plays the network runs only while the test is inside a Playwright call)
    expect(phone.get_by_text("未送信だった配布を1件送信しました。")).to_be_visible(timeout=SYNCED)
    expect(items).to_have_count(1)
    assert Handout.objects.count() == writes[0] + 1
    fewer = Handout.objects.latest("pk")
    assert fewer.occurred_at == datetime.fromisoformat(tapped[0]["body"]["occurred_at"])
    assert list(fewer.lines.values_list("pack_type__code", "quantity")) == [("day3", 1)]
    assert _on_hand(window, catalogue.day3) == 0

    # When they try to log out with the other one still there, they are warned and may stay
    with phone.expect_event("dialog") as warning:
        phone.get_by_role("button", name="ログアウト").tap()
    assert "未送信の配布が1件あります。ログアウトすると端末から消去され" in warning.value.message
    warning.value.dismiss()
    expect(items).to_have_count(1)
    expect(phone.get_by_role("heading", level=1)).to_have_text(window.name)

    # When they discard it with a reason instead
    items.nth(0).get_by_label("取り消す理由").select_option(label="誤って入力した")
    press_on(phone, items.nth(0).get_by_role("button", name="取り消す"))

    # Then it is gone from the device, nothing was written for it, and the page says so
    expect(review).to_be_hidden()
    expect(phone.get_by_text("取り消しました（誤って入力した）。何も記録していません。")).to_be_visible()
    assert phone.evaluate(READ_QUEUE) == []
    assert Handout.objects.count() == writes[0] + 1
    assert_accessible(phone)


def test_a_double_tap_and_a_lost_answer_are_logged_once_and_a_late_entry_keeps_its_day(
    open_page, browser, live_server, network, catalogue, window_staff_a, coordinator
):
    window = network.window_a
    put_stock(window, pack_type=catalogue.day3, quantity=4)
    # A phone whose page talks to the server directly (no service worker), so that this test's one
    # route sees every request the page makes.
    context = browser.new_context(**DEVICES["phone"], base_url=live_server.url, service_workers="block")
    context.set_default_timeout(10_000)
    posts = []

    def lose_the_first_answer(route):
        posts.append(route.request.header_value("idempotency-key"))
        if len(posts) == 1:
            route.fetch()  # the request reaches the server and is recorded ...
            route.abort("connectionreset")  # ... and its answer is lost on the way back
        else:
            route.continue_()

    try:
        context.route(re.compile(r".*/api/v1/handouts/$"), lose_the_first_answer)
        page = context.new_page()
        login(page, "window_a")
        _open_window(page, window)

        # When they choose 3 days and tap 「配布を記録する」 twice as fast as a thumb can
        form = page.get_by_role("region", name="配布する")
        form.get_by_text("3日分", exact=True).tap()
        button = form.get_by_role("button", name="配布を記録する")
        button.scroll_into_view_if_needed()
        box = button.bounding_box()
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        page.touchscreen.tap(x, y)
        page.touchscreen.tap(x, y)

        # Then the answer is lost, the handout waits on the device, is sent again by itself, and is
        # logged once
        expect(page.get_by_text("未送信だった配布を1件送信しました。")).to_be_visible(timeout=SYNCED)
        assert len(posts) == 2
        assert posts[0] == posts[1]
        assert Handout.objects.count() == 1
        assert StockMovement.objects.filter(kind="handout").count() == 1
        assert _on_hand(window, catalogue.day3) == 3
        expect(page.get_by_role("region", name="在庫").get_by_label("在庫 3")).to_be_visible()

        # When they log a handout that happened yesterday at 10:00 (「いつ」)
        yesterday = timezone.localdate() - timedelta(days=1)
        form.get_by_text("3日分", exact=True).tap()
        form.get_by_label("いつ").fill(f"{yesterday.isoformat()}T10:00")
        form.get_by_role("button", name="配布を記録する").tap()

        # Then it is recorded for yesterday, counted in yesterday's figures
        expect(page.get_by_text(re.compile(r"記録しました（No\. \d+）"))).to_be_visible()
        late = Handout.objects.latest("pk")
        assert timezone.localtime(late.occurred_at).replace(tzinfo=None) == datetime.combine(
            yesterday, datetime.min.time()
        ).replace(hour=10)
        fiscal_year = reports.fiscal_year_of(yesterday)
        months = reports.monthly_report([network.food_bank.pk], fiscal_year)["months"]
        row = next(m for m in months if m["month"] == yesterday.strftime("%Y-%m"))
        # this late one, and the first one when today is in the same month
        same_month = timezone.localdate().month == yesterday.month
        assert row["window_visits"] == (2 if same_month else 1)
        recent = page.get_by_role("region", name="最近の配布")
        expect(recent).to_contain_text(yesterday.strftime("%-m/%-d 10:00"))
        assert_accessible(page)
    finally:
        context.close()


def test_another_user_never_sends_someone_elses_queue(phone, network, catalogue, window_staff_a, shots):
    # Given two staff members of the same window, sharing a phone
    window = network.window_a
    put_stock(window, pack_type=catalogue.day1, quantity=3)
    colleague = make_actor("window_a2", Role.WINDOW_STAFF, network.agency_a, window)
    connection = Connection(phone.context)
    without_background_sync(phone.context)
    login(phone, "window_a")
    _open_window(phone, window)

    # When the first one queues a handout offline and their login ends without logging out
    connection.set_offline(True)
    _hand_out(phone, "1日分")
    expect(phone.get_by_text("未送信 1件")).to_be_visible()
    phone.context.clear_cookies()
    connection.set_offline(False)

    # Then the page says the login expired and keeps the handout
    expect(phone.get_by_text("ログインの有効期限が切れました")).to_be_visible(timeout=SYNCED)
    assert_accessible(phone)
    assert not Handout.objects.exists()

    # When the colleague logs in on the same phone and opens the page
    login(phone, "window_a2")
    _open_window(phone, window)

    # Then the other user's handout is counted but not sent as the colleague's
    expect(phone.get_by_text("他の利用者がこの端末に保存した未送信の配布が1件あります")).to_be_visible()
    assert_accessible(phone)
    shots(phone, "another-users-queue")
    assert not Handout.objects.exists()

    # When the colleague logs out (nothing of theirs unsent: no warning) and the first one logs in
    phone.get_by_role("button", name="ログアウト").tap()
    expect(phone).to_have_url(re.compile(r"/accounts/log"))
    login(phone, "window_a")
    _open_window(phone, window)

    # Then their handout is sent, as theirs
    expect(phone.get_by_text("未送信だった配布を1件送信しました。")).to_be_visible(timeout=SYNCED)
    handout = Handout.objects.get()
    assert handout.recorded_by_id == window_staff_a.pk
    assert handout.recorded_by_id != colleague.pk


def test_write_off_and_a_short_count_from_the_phone(phone, network, catalogue, window_staff_a, shots):
    # Given a window holding 6 three-day sets
    window = network.window_a
    put_stock(window, pack_type=catalogue.day3, quantity=6)
    login(phone, "window_a")
    _open_window(phone, window)

    # When they open 「廃棄・棚卸」 and write off one damaged set
    phone.get_by_role("link", name="廃棄・棚卸").tap()
    expect(phone.get_by_role("heading", level=1)).to_have_text("廃棄・棚卸")
    assert_accessible(phone)
    assert_touch_targets(phone)
    write_off = phone.get_by_role("region", name="廃棄する")
    write_off.get_by_label("数").fill("1")
    write_off.get_by_label("理由").select_option(label="破損")
    write_off.get_by_role("button", name="廃棄する").tap()

    # Then it is recorded with its reason
    expect(phone.get_by_role("status")).to_have_text("廃棄を記録しました。")
    assert StockMovement.objects.get(kind="write_off").quantity == -1
    assert _on_hand(window, catalogue.day3) == 5

    # When they count 4 on the shelf
    count = phone.get_by_role("region", name="棚卸（数える）")
    count.get_by_role("spinbutton").first.fill("4")
    count.get_by_role("button", name="棚卸を記録する").tap()

    # Then the count waits for a colleague's confirmation, and the stock is unchanged until then
    expect(phone.get_by_role("status")).to_have_text(
        "棚卸を記録しました。ほかの職員かフードバンクが確認します。"
    )
    expect(phone.get_by_role("region", name="確認待ちの棚卸")).to_contain_text("3日分セット: 5 → 4")
    assert _on_hand(window, catalogue.day3) == 5
    assert_accessible(phone)
    shots(phone, "count-awaiting-confirmation")
