"""The three daily jobs, end to end in Chromium (issue #9, docs/spec.md §2 and §4).

1. Window staff on a phone: see stock, hand out 3 + 1 days in two taps (a double tap records one
   handout), be refused more than is in stock, ask for a restock, switch to English and back, and
   acknowledge a referral in the window's inbox.
2. A case worker on a laptop: file a home-delivery request, fix a wrong postal code, and follow the
   request until it is shipped with its tracking link.
3. A coordinator and a volunteer: approve requests, run the batch on the worker, download its
   documents; the volunteer scans a parcel at the packing station and marks it packed.

Data that other pages would make (stock, carrier accounts) comes from the services and factories;
everything the journey is about goes through the pages, or the API where the journey says so. The
courier is the only stub: B2 Cloud's issued-data file is the batch's own carrier CSV with 伝票番号
filled in, as B2 Cloud returns it.
"""

import csv
import io
import re
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from foodbank import tokens
from inventory import services as inventory_services
from inventory.models import Balance, Handout, RestockShipment
from referrals import services as referral_services
from referrals.models import DeliveryRequest, Referral
from shipping.models import DispatchBatch, Parcel
from tests.helpers import wait_for
from tests.inventory.helpers import put_stock
from tests.referrals.factories import file_request
from tests.shipping.integration import make_b2_account

from .browser import (
    assert_accessible,
    assert_controls_labelled,
    assert_touch_targets,
    expect_english,
    expect_japanese,
    login,
    press_on,
    tab_to,
    type_into,
)


def _on_hand(site, pack_type) -> int:
    return sum(Balance.objects.filter(site=site, pack_type=pack_type).values_list("on_hand", flat=True))


# --- 1. Window staff on a phone ---------------------------------------------------------------------


def test_window_staff_hand_out_sets_and_ask_for_a_restock_on_a_phone(
    phone,
    network,
    catalogue,
    window_staff_a,
    coordinator,
    case_worker_a,
    shots,
):
    # Given a window holding 5 one-day sets and 2 three-day sets, with par levels of 10 and 6
    window = network.window_a
    put_stock(window, pack_type=catalogue.day1, quantity=5)
    put_stock(window, pack_type=catalogue.day3, quantity=2)
    inventory_services.set_par_level(site=window, pack_type=catalogue.day1, par=10)
    inventory_services.set_par_level(site=window, pack_type=catalogue.day3, par=6)
    # and a person the food bank has referred to this window, with their consent
    request = file_request(case_worker_a, network.agency_a)
    referral = referral_services.create_referral(
        by=coordinator,
        recipient_id=request.recipient_id,
        source=Referral.Source.DELIVERY_REQUEST,
        delivery_request_id=request.pk,
        needs="家計の相談をしたい",
    )

    # When the staff member logs in on their phone and opens their window's page from the start page
    login(phone, "window_a")
    phone.get_by_role("link", name="在庫と配布").tap()

    # Then they see the stock of each set at a glance, in Japanese
    expect_japanese(phone)
    expect(phone.get_by_role("heading", level=1)).to_have_text("小樽窓口")
    stock = phone.get_by_role("region", name="在庫")
    expect(stock.get_by_label("在庫 5")).to_be_visible()
    expect(stock.get_by_label("在庫 2")).to_be_visible()
    expect(stock.get_by_text("基準より少ない")).to_have_count(2)  # both below par: said, not only coloured
    assert_controls_labelled(phone)
    assert_touch_targets(phone)
    assert_accessible(phone)
    shots(phone, "window")

    # When they choose "3 + 1 days" and tap "record" twice in quick succession (two taps, one doubled)
    handout_form = phone.get_by_role("region", name="配布する")
    handout_form.get_by_text("3日分＋1日分", exact=True).tap()
    expect(handout_form.get_by_role("radio", name="3日分＋1日分")).to_be_checked()
    shots(phone, "three-plus-one-chosen")
    _double_tap(phone, handout_form.get_by_role("button", name="配布を記録する"))

    # Then the page confirms one handout, lists one, and one is in the database with one set of each
    expect(phone.get_by_role("status").filter(has_text="記録しました")).to_have_text(
        re.compile(r"記録しました（No\. \d+）:\s*3日分セット × 1、1日分セット × 1")
    )
    recent = phone.get_by_role("region", name="最近の配布").get_by_role("listitem")
    expect(recent).to_have_count(1)
    expect(recent).to_contain_text("3日分セット × 1、1日分セット × 1")
    handout = Handout.objects.get()
    assert sorted(handout.lines.values_list("pack_type__code", "quantity")) == [("day1", 1), ("day3", 1)]
    assert (_on_hand(window, catalogue.day1), _on_hand(window, catalogue.day3)) == (4, 1)
    expect(stock.get_by_label("在庫 4")).to_be_visible()
    expect(stock.get_by_label("在庫 1")).to_be_visible()
    assert_accessible(phone)
    shots(phone, "handout-recorded")

    # When they try to hand out five 3-day sets (only one is left), with the keyboard alone:
    # arrow keys to "other amounts", Tab to the 3-day field, type, Enter
    handout_form = phone.get_by_role("region", name="配布する")
    tab_to(phone, handout_form.get_by_role("radio").first)
    custom = handout_form.get_by_role("radio", name="その他の数")
    for _press in range(4):
        if custom.is_checked():
            break
        phone.keyboard.press("ArrowDown")
    expect(custom).to_be_checked()
    type_into(phone, handout_form.get_by_label("3日分セット"), "5")
    phone.keyboard.press("Enter")

    # Then a clear Japanese message says what is short and that nothing was recorded, and the stock
    # is unchanged on the page and in the database
    expect(phone.get_by_role("alert")).to_have_text(
        "在庫が足りません（3日分セット: 残り 1、必要 5）。何も記録していません。"
    )
    expect(stock.get_by_label("在庫 4")).to_be_visible()
    expect(stock.get_by_label("在庫 1")).to_be_visible()
    assert Handout.objects.count() == 1
    assert (_on_hand(window, catalogue.day1), _on_hand(window, catalogue.day3)) == (4, 1)
    assert_controls_labelled(phone)
    assert_accessible(phone)
    shots(phone, "not-enough-stock")

    # When they ask the food bank for a restock (filled in up to the par levels: 10 - 4 and 6 - 1)
    restock = phone.get_by_role("region", name="補充")
    expect(restock.get_by_label("1日分セット")).to_have_value("6")
    expect(restock.get_by_label("3日分セット")).to_have_value("5")
    restock.get_by_label("フードバンクへのメモ").fill("連休前なので多めに")
    restock.get_by_role("button", name="補充を依頼する").tap()

    # Then the page says the request was sent and shows it, and the food bank has it
    expect(phone.get_by_role("status")).to_have_text("フードバンクに補充を依頼しました。")
    shipment = RestockShipment.objects.get()
    assert (shipment.to_site_id, shipment.status) == (window.pk, "requested")
    assert sorted(shipment.lines.values_list("pack_type__code", "quantity")) == [("day1", 6), ("day3", 5)]
    expect(phone.get_by_role("region", name="補充").get_by_role("listitem")).to_contain_text(
        "1日分セット × 6、3日分セット × 5"
    )
    assert_accessible(phone)
    shots(phone, "restock-requested")

    # When they switch the page to English
    phone.get_by_role("button", name="English").tap()

    # Then the same page speaks English: the strings come from the translation files, not the code
    expect_english(phone)
    expect(phone.get_by_role("heading", name="Stock", exact=True)).to_be_visible()
    expect(phone.get_by_role("button", name="Record handout")).to_be_visible()
    expect(phone.get_by_role("radio", name="3 + 1 days")).to_be_visible()
    expect(phone.get_by_label("4 in stock")).to_be_visible()
    expect(phone.get_by_text("Below par")).to_have_count(2)
    assert_accessible(phone)
    shots(phone, "window-in-english")

    # When they switch back to Japanese and open the referrals sent to their window
    phone.get_by_role("button", name="日本語").tap()
    expect_japanese(phone)
    # Then they acknowledge the referral there, and the food bank sees it acknowledged
    _acknowledge_referral_in_inbox(phone, referral=referral)
    shots(phone, "referral-acknowledged")


def _double_tap(page, button) -> None:
    """Two taps on ``button`` as fast as a thumb can: the second lands whatever the first did."""
    button.scroll_into_view_if_needed()
    box = button.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.touchscreen.tap(x, y)
    page.touchscreen.tap(x, y)


def _acknowledge_referral_in_inbox(page, *, referral) -> None:
    """From the window page, window staff open their referral inbox and acknowledge ``referral``.

    The texts are those of the inbox page (tests/e2e/test_referral_inbox.py): the window page's
    badge 「紹介 N件」, the button 「受付済みにする」, the message 「<reference>：受付済みにしました。」.
    """
    page.get_by_role("link", name="紹介 1件").tap()
    card = page.locator(f"#rf{referral.pk}")
    expect(card.get_by_role("heading")).to_contain_text(referral.reference)
    card.get_by_role("button", name="受付済みにする").tap()
    expect(page.get_by_role("status").first).to_contain_text(f"{referral.reference}：受付済みにしました。")
    expect(page.locator(f"#rf{referral.pk}").get_by_role("heading")).to_contain_text("受付済み")
    referral.refresh_from_db()
    assert referral.status == "acknowledged"
    assert_accessible(page)


# --- 2. A case worker on a laptop -------------------------------------------------------------------


def test_case_worker_files_a_home_delivery_and_follows_it_until_shipped(
    live_server_with_worker,
    open_page,
    network,
    catalogue,
    coordinator,
    volunteer,
    case_worker_a,
    shots,
):
    # Given the food bank ships home parcels with Yamato through B2 Cloud, from a stocked warehouse
    make_b2_account(network.food_bank)
    put_stock(network.warehouse, pack_type=catalogue.home, quantity=20)
    laptop = open_page("laptop")

    # When the case worker logs in and opens the request form from the start page
    login(laptop, "caseworker_a")
    laptop.get_by_role("link", name="配送依頼の申請").click()
    expect(laptop.get_by_role("heading", level=1)).to_have_text("配送依頼の申請")
    assert_controls_labelled(laptop)
    assert_touch_targets(laptop)
    assert_accessible(laptop)

    # And fills it in with a postal code whose digits are swapped (047-0204 does not exist)
    _field(laptop, "氏名").fill("山田 花子")
    _field(laptop, "フリガナ").fill("ヤマダ ハナコ")
    _field(laptop, "電話番号").fill("090-1234-5678")
    _field(laptop, "郵便番号").fill("047-0204")
    _field(laptop, "町名・番地").fill("花園2丁目6-7")
    _field(laptop, "世帯の種類").select_option(label="ひとり親")
    _field(laptop, "子ども（3〜17歳）").fill("2")
    _field(laptop, "状況").select_option(value="welfare_pending")
    _field(laptop, "状況（簡単に）").fill("生活保護を申請中。初回支給まで2週間。")
    _field(laptop, "電気").check()
    _field(laptop, "電子レンジ").check()
    _field(laptop, "本人がフードバンクへの情報提供に同意した").check()
    shots(laptop, "request-form")
    with laptop.expect_navigation():
        laptop.get_by_role("button", name="依頼を送る").click()

    # Then a clear Japanese message points at the postal code, what was typed is still there, and
    # nothing was saved
    summary = laptop.get_by_role("alert")
    expect(summary).to_contain_text("下の印のある項目を直してください。入力した内容は残っています。")
    expect(summary).to_contain_text("郵便番号: この郵便番号は見つかりません。確認してください。")
    postal = _field(laptop, "郵便番号")
    expect(postal).to_have_accessible_description(
        re.compile("この郵便番号は見つかりません。確認してください。")
    )
    expect(postal).to_have_value("047-0204")
    expect(postal).to_have_attribute("aria-invalid", "true")
    expect(_field(laptop, "氏名")).to_have_value("山田 花子")
    assert not DeliveryRequest.objects.exists()
    assert_controls_labelled(laptop)
    assert_accessible(laptop)
    shots(laptop, "wrong-postal-code")

    # When they correct it and send the form again with the keyboard (Enter in the field)
    type_into(laptop, postal, "047-0024")
    with laptop.expect_navigation():
        laptop.keyboard.press("Enter")

    # Then the request's page says it was sent; it waits for the food bank's triage
    request = DeliveryRequest.objects.get()
    expect(laptop).to_have_url(f"/requests/{request.pk}/")
    expect(laptop.get_by_role("status")).to_have_text(
        f"依頼 {request.reference} をフードバンクに送りました。"
    )
    expect(laptop.get_by_role("heading", level=1)).to_contain_text(request.reference)
    _expect_status(laptop, "submitted")
    assert (request.agency, request.recipient.postal_code) == (network.agency_a, "0470024")
    assert_accessible(laptop)
    shots(laptop, "request-sent")

    # When the food bank takes it through the API as its own systems do: the coordinator approves it
    # and runs tomorrow's batch, which the worker builds
    coordinator_api = _api(open_page, coordinator)
    _ok(coordinator_api.post(f"/api/v1/delivery-requests/{request.pk}/approve/"))
    laptop.reload()
    _expect_status(laptop, "approved")
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    batch = _ok(coordinator_api.post("/api/v1/dispatch-batches/", data={"ship_date": tomorrow}), 202)
    batch = wait_for(
        lambda: _ready(coordinator_api.get(f"/api/v1/dispatch-batches/{batch['id']}/")),
        timeout=60,
        message="the batch to be ready",
    )
    assert batch["parcels"]["total"] == 1
    laptop.reload()
    _expect_status(laptop, "scheduled")

    # And a volunteer packs the parcel
    volunteer_api = _api(open_page, volunteer)
    (parcel,) = _ok(volunteer_api.get(f"/api/v1/parcels/?batch={batch['id']}"))["results"]
    _ok(volunteer_api.post(f"/api/v1/parcels/{parcel['id']}/packed/"))
    laptop.reload()
    _expect_status(laptop, "packed")

    # And staff print the label in B2 Cloud (the stub: B2 fills in 伝票番号) and the coordinator
    # uploads B2's issued-data file on the batch page
    carrier_csv = coordinator_api.get(batch["documents"]["carrier_csv"]).body()
    number = _tracking_number(39045998308)
    coordinator_page = open_page("laptop")
    login(coordinator_page, "coordinator", next_url=f"/shipping/batches/{batch['id']}/")
    upload = coordinator_page.get_by_role("region", name="B2クラウドの発行済みデータを取り込む")
    upload.get_by_label("発行済みデータCSV").set_input_files(
        files=[
            {
                "name": "issued.csv",
                "mimeType": "text/csv",
                "buffer": _b2_issued_data(carrier_csv, {parcel["reference"]: number}),
            }
        ]
    )
    upload.get_by_role("button", name="伝票番号を取り込む").click()
    # (three people for a week: three home packs, two boxes, a number for each box)
    expect(coordinator_page.get_by_text("伝票番号を2件登録しました。")).to_be_visible()
    assert_accessible(coordinator_page)
    shots(coordinator_page, "tracking-imported")

    # Then the case worker's page shows the request shipped, with its number and a link to Yamato's
    # tracking page
    laptop.reload()
    _expect_status(laptop, "shipped")
    expect(laptop.get_by_text(number, exact=True)).to_be_visible()
    track = laptop.get_by_role("link", name="配送状況を見る")
    expect(track).to_have_attribute("href", re.compile(r"^https://toi\.kuronekoyamato\.co\.jp/.*" + number))
    request.refresh_from_db()
    assert (request.status, request.tracking_number) == ("shipped", number)
    assert_touch_targets(laptop)
    assert_accessible(laptop)
    shots(laptop, "request-shipped")


def _field(page, label: str):
    """The field labelled ``label`` (a required field's label ends in "（必須）")."""
    return page.get_by_label(re.compile(rf"^\s*{re.escape(label)}(\s*（必須）)?\s*$"))


STATUS_JA = {
    "submitted": "申請済み",
    "approved": "承認済み",
    "scheduled": "発送予定",
    "packed": "梱包済み",
    "shipped": "発送済み",
}


def _expect_status(page, status: str) -> None:
    """The status badge in the request page's heading."""
    expect(page.get_by_role("heading", level=1).locator(f".status-{status}")).to_have_text(STATUS_JA[status])


def _api(open_page, user):
    """An API client (Playwright's, over HTTP to the live server) with ``user``'s token."""
    _token, key = tokens.issue_token(user=user, name="journey")
    page = open_page("laptop")
    page.context.set_extra_http_headers({"Authorization": f"Token {key}", "Accept": "application/json"})
    return page.request


def _ok(response, status: int = 200):
    assert response.status == status, f"{response.url}: {response.status} {response.text()[:500]}"
    return response.json()


def _ready(response):
    batch = _ok(response)
    assert batch["status"] != "failed", batch
    return batch if batch["status"] == "ready" else None


def _tracking_number(first_eleven: int) -> str:
    """A Yamato number with its check digit (the first eleven digits mod 7)."""
    return f"{first_eleven:011d}{first_eleven % 7}"


def _b2_issued_data(carrier_csv: bytes, numbers: dict[str, str]) -> bytes:
    """What B2 Cloud gives back after printing: our CSV with 伝票番号 (column 4) filled in."""
    rows = list(csv.reader(io.StringIO(carrier_csv.decode("cp932"), newline="")))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(rows[0])
    for row in rows[1:]:
        # A household whose food fills two boxes has a row per box, <reference>-<n>of<N>
        # (docs/shipping-b2.md "Several boxes"): box n gets the number 1000 × (n - 1) after box 1's.
        box = re.match(r"^(?P<reference>.+)-(?P<n>\d+)of\d+$", row[0])
        if row[0] in numbers:
            row[3] = numbers[row[0]]
        elif box and box["reference"] in numbers:
            row[3] = _tracking_number(int(numbers[box["reference"]][:11]) + 1000 * (int(box["n"]) - 1))
        else:
            continue
        writer.writerow(row)
    return out.getvalue().encode("cp932")


# --- 3. A coordinator and a volunteer ---------------------------------------------------------------


def test_coordinator_runs_the_batch_and_a_volunteer_packs_a_parcel(
    live_server_with_worker, open_page, network, catalogue, coordinator, volunteer, case_worker_a, shots
):
    # Given three requests from agency A waiting for triage, a stocked warehouse and Yamato via B2
    make_b2_account(network.food_bank)
    put_stock(network.warehouse, pack_type=catalogue.home, quantity=20)
    requests = [file_request(case_worker_a, network.agency_a) for _ in range(3)]
    laptop = open_page("laptop")

    # When the coordinator opens the triage from the start page
    login(laptop, "coordinator")
    laptop.get_by_role("link", name="配送依頼の受付判断").click()
    expect(laptop.get_by_role("heading", level=1)).to_have_text("配送依頼の受付判断")
    queue = laptop.get_by_role("list").filter(has=laptop.get_by_role("button", name="承認"))
    expect(queue.get_by_role("listitem")).to_have_count(3)
    assert_controls_labelled(laptop)
    assert_touch_targets(laptop)
    assert_accessible(laptop)
    shots(laptop, "triage")

    # And approves the first request with the keyboard, and the other two by mouse
    press_on(laptop, laptop.locator(f"#r{requests[0].pk}").get_by_role("button", name="承認"))
    expect(laptop.get_by_role("status").filter(has_text="承認しました")).to_have_text(
        f"{requests[0].reference} を承認しました。"
    )
    for request in requests[1:]:
        laptop.locator(f"#r{request.pk}").get_by_role("button", name="承認").click()
        expect(laptop.get_by_role("status").filter(has_text="承認しました")).to_have_text(
            f"{request.reference} を承認しました。"
        )

    # Then the queue is empty and the requests are approved
    expect(laptop.get_by_text("判断待ちの依頼はありません。")).to_be_visible()
    assert set(DeliveryRequest.objects.values_list("status", flat=True)) == {"approved"}
    shots(laptop, "triage-done")

    # When they run tomorrow's batch from the batch page
    laptop.get_by_role("link", name="フードバンク ネットワーク").click()
    laptop.get_by_role("link", name="出荷バッチ").click()
    run = laptop.get_by_role("region", name="バッチを実行")
    run.get_by_label("出荷日").fill((timezone.localdate() + timedelta(days=1)).isoformat())
    assert_controls_labelled(laptop)
    assert_touch_targets(laptop)
    assert_accessible(laptop)
    shots(laptop, "run-batch")
    run.get_by_role("button", name="バッチを実行する").click()

    # Then its page shows the worker's progress until it reaches 100 % and every document is ready
    batch = DispatchBatch.objects.get()
    expect(laptop).to_have_url(f"/shipping/batches/{batch.pk}/")
    progress = laptop.get_by_role("region", name="進み具合")
    expect(progress).to_contain_text("準備完了 · 100%", timeout=60_000)
    expect(progress.get_by_role("progressbar")).to_have_attribute("value", "100")
    expect(progress).to_contain_text("梱包済み 0 / 3 · 残り 3")
    documents = laptop.get_by_role("region", name="帳票")
    expect(documents.get_by_role("link")).to_have_count(4)
    assert_controls_labelled(laptop)
    assert_touch_targets(laptop)
    assert_accessible(laptop)
    shots(laptop, "batch-ready")

    # When they download the pick list, the packing slips and the B2 Cloud CSV
    pick_list = _download(laptop, documents.get_by_role("link", name="ピッキングリスト"))
    slips = _download(laptop, documents.get_by_role("link", name="梱包票"))
    carrier_csv = _download(laptop, documents.get_by_role("link", name="配送CSV（B2クラウド）"))

    # Then they are PDFs (one packing slip per box) and B2's 95-column CSV in Shift_JIS
    references = sorted(Parcel.objects.filter(batch=batch).values_list("reference", flat=True))
    boxes = sum(Parcel.objects.filter(batch=batch).values_list("boxes", flat=True))
    assert pick_list.startswith(b"%PDF-")
    assert len(PdfReader(io.BytesIO(pick_list)).pages) >= 1
    assert slips.startswith(b"%PDF-")
    assert boxes >= 3
    assert len(PdfReader(io.BytesIO(slips)).pages) == boxes
    rows = list(csv.reader(io.StringIO(carrier_csv.decode("cp932"), newline="")))
    assert {len(row) for row in rows} == {95}
    assert sorted({re.sub(r"-\d+of\d+$", "", row[0]) for row in rows[1:]}) == references
    assert b"\r\n" in carrier_csv

    # When a volunteer at the packing station opens the batch
    station = open_page("laptop")
    login(station, "volunteer")
    station.get_by_role("link", name="出荷バッチと梱包").click()
    station.get_by_role("link", name="梱包ステーション").click()
    expect(station.get_by_role("heading", level=1)).to_contain_text("梱包ステーション")
    expect(station.get_by_text("梱包済み 0 / 3 · 残り 3")).to_be_visible()
    assert_controls_labelled(station)
    assert_touch_targets(station)
    assert_accessible(station)
    shots(station, "station")

    # And scans a slip's QR code: the scanner types the reference into the focused field and Enter
    scan = station.get_by_label("梱包票のQRコードを読み取るか、お客様管理番号を入力")
    expect(scan).to_be_focused()
    with station.expect_navigation():
        station.keyboard.type(references[0])
        station.keyboard.press("Enter")

    # Then the station shows that parcel and what goes in each of its boxes (three home packs for
    # the household, at most two to a box)
    parcel = station.get_by_role("region", name=references[0])
    expect(parcel.get_by_role("heading", level=3)).to_have_text("入れるもの")
    expect(parcel).to_contain_text(re.compile(r"箱 1/2\s*家庭向けパック × 2\s*箱 2/2\s*家庭向けパック × 1"))
    assert_accessible(station)
    shots(station, "parcel-scanned")

    # When they mark it packed with the keyboard
    press_on(station, parcel.get_by_role("button", name="梱包済みにする"))

    # Then the station says so and the packed count moves, there and on the coordinator's page
    expect(station.get_by_role("status")).to_have_text(f"{references[0]} を梱包済みにしました。")
    expect(station.get_by_text("梱包済み 1 / 3 · 残り 2")).to_be_visible()
    expect(station.get_by_role("region", name="未梱包").get_by_role("listitem")).to_have_count(2)
    assert Parcel.objects.get(reference=references[0]).status == "packed"
    assert_accessible(station)
    shots(station, "parcel-packed")
    expect(progress).to_contain_text("梱包済み 1 / 3 · 残り 2", timeout=15_000)
    shots(laptop, "batch-counts-moved")


def _download(page, link) -> bytes:
    """Click a download link and return the file's bytes."""
    with page.expect_download() as download:
        link.click()
    with open(download.value.path(), "rb") as file:
        return file.read()
