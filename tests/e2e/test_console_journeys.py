"""The coordinators' console in Chromium (issue #17): a coordinator adds a window and its staff
member; the staff member accepts the invitation from the email, sets their own password and hands
out a set at the new window.

Stock for the new window comes from the ledger service (a restock would bring it); everything the
journey is about goes through the pages. The email is Django's locmem backend: the invitation link
is read from the message the live server sent.
"""

import json
import re

from django.core import mail
from playwright.sync_api import expect

from foodbank.models import AuditEvent, Membership, Site
from inventory.models import Handout, ParLevel
from referrals.models import ConsentRecord, ConsentWithdrawal
from tests.helpers import wait_for
from tests.inventory.helpers import put_stock
from tests.referrals.factories import file_request

from .browser import (
    assert_accessible,
    assert_controls_labelled,
    expect_japanese,
    login,
    login_here,
)

NEW_PASSWORD = "ebetsu-mado-2026"


def test_coordinator_adds_a_window_and_its_staff_member_who_hands_out_a_set(
    laptop, open_page, network, catalogue, coordinator, shots
):
    # Given the coordinator on a laptop, on the start page
    login(laptop, "coordinator")

    # When they open the console from the start page and add a window for agency A
    laptop.get_by_role("link", name="ネットワークと職員").click()
    expect_japanese(laptop)
    laptop.locator("main .cards").get_by_role("link", name="窓口と倉庫").click()
    laptop.get_by_role("link", name="窓口・倉庫を追加").click()
    laptop.get_by_label("運営団体").select_option(label=network.agency_a.name)
    laptop.get_by_role("textbox", name="名称 （必須）").fill("江別市生活相談窓口")
    laptop.get_by_label("郵便番号").fill("０６７－００３１")
    laptop.get_by_label("番地").click()  # leaving the field shows the area it belongs to
    expect(laptop.locator("#postal-area")).to_contain_text("北海道江別市")
    laptop.get_by_label("番地").fill("元町1-1")
    laptop.get_by_label("開所時間").fill("平日 9:00–17:00")
    assert_controls_labelled(laptop)
    assert_accessible(laptop)
    shots(laptop, "new-window")
    laptop.get_by_role("button", name="保存", exact=True).click()

    # Then the window exists, in Ebetsu (from the postal code), and its page offers par levels
    expect(laptop.get_by_role("heading", level=1)).to_have_text("江別市生活相談窓口")
    expect(laptop.get_by_role("status")).to_contain_text("江別市生活相談窓口 を保存しました。")
    window = Site.objects.get(name="江別市生活相談窓口")
    assert (window.municipality, window.regional_bureau, window.food_bank_id) == (
        "江別市",
        "ishikari",
        network.food_bank.pk,
    )
    laptop.get_by_label("1日分セット").fill("10")
    laptop.get_by_label("3日分セット").fill("5")
    laptop.get_by_role("button", name="適正在庫を保存").click()
    expect(laptop.get_by_role("status")).to_contain_text("適正在庫を保存しました（2 件変更）。")
    assert dict(ParLevel.objects.filter(site=window).values_list("pack_type__code", "par")) == {
        "day1": 10,
        "day3": 5,
    }
    shots(laptop, "window-saved")

    # When they invite its staff member
    laptop.locator(".console-nav").get_by_role("link", name="職員").click()
    laptop.get_by_role("link", name="職員を招待").click()
    laptop.get_by_label("氏名").fill("江別 花子")
    laptop.get_by_label("ユーザー名").fill("ebetsu_hanako")
    laptop.get_by_label("メールアドレス").fill("hanako@ebetsu.example.jp")
    laptop.get_by_label("役割").select_option(label="窓口スタッフ")
    laptop.get_by_label("団体").select_option(label=network.agency_a.name)
    laptop.get_by_label("拠点").select_option(label="江別市生活相談窓口")
    assert_accessible(laptop)
    laptop.get_by_role("button", name="保存", exact=True).click()

    # Then the staff page says the link went out, and the account has no password yet
    expect(laptop.get_by_role("status")).to_contain_text("hanako@ebetsu.example.jp に招待を送りました")
    expect(laptop.get_by_text("パスワード未設定")).to_be_visible()
    shots(laptop, "invited")
    message = wait_for(lambda: mail.outbox and mail.outbox[-1], message="the invitation email")
    assert message.to == ["hanako@ebetsu.example.jp"]
    link = re.search(r"http://\S+/console/invitation/\S+/", message.body).group(0)
    assert Membership.objects.filter(user__username="ebetsu_hanako", site=window, active=True).exists()

    # When the staff member opens the link on their phone and chooses a password
    put_stock(window, pack_type=catalogue.day1, quantity=3)  # the window's first restock arrived
    phone = open_page("phone")
    phone.goto(link)
    expect(phone.get_by_role("heading", level=1)).to_have_text("パスワードの設定")
    assert_accessible(phone)
    phone.locator("#id_new_password1").fill(NEW_PASSWORD)
    phone.locator("#id_new_password2").fill(NEW_PASSWORD)
    phone.get_by_role("button", name="パスワードを設定").tap()
    expect(phone.get_by_role("heading", level=1)).to_have_text("パスワードを設定しました")
    shots(phone, "password-set")

    # Then the link never works again
    again = open_page("phone")
    again.goto(link)
    expect(again.get_by_role("heading", level=1)).to_have_text("このリンクは使えません")

    # When they sign in with their own password and hand out a one-day set at the new window
    phone.get_by_role("link", name="ログイン").tap()
    login_here(phone, "ebetsu_hanako", NEW_PASSWORD)
    phone.get_by_role("link", name="在庫と配布").tap()
    expect(phone.get_by_role("heading", level=1)).to_have_text("江別市生活相談窓口")
    handout_form = phone.get_by_role("region", name="配布する")
    handout_form.get_by_text("1日分", exact=True).tap()
    handout_form.get_by_role("button", name="配布を記録する").tap()

    # Then the handout is recorded at that window, by them
    expect(phone.get_by_role("status").filter(has_text="記録しました")).to_contain_text("1日分セット × 1")
    handout = Handout.objects.get()
    assert (handout.site_id, handout.recorded_by.username) == (window.pk, "ebetsu_hanako")
    shots(phone, "handout")
    # And the coordinator's changes are in the audit log
    assert set(AuditEvent.objects.filter(actor=coordinator).values_list("object_type", "action")) >= {
        ("site", "create"),
        ("par_levels", "change"),
        ("staff", "create"),
    }


def test_coordinator_finds_a_person_by_phone_records_a_withdrawal_and_exports_the_disclosure(
    laptop, network, coordinator, case_worker_a, shots
):
    # Given a person a case worker filed a request for (consents to share and to be referred)
    request = file_request(case_worker_a, network.agency_a)

    # When the person phones, and the coordinator searches by the number they give
    login(laptop, "coordinator")
    laptop.get_by_role("link", name="本人からの請求（開示・訂正・同意）").click()
    laptop.get_by_label("検索方法").select_option(label="電話番号")
    laptop.get_by_label("検索語").fill("090-1234-5678")
    laptop.get_by_role("button", name="検索", exact=True).click()

    # Then the person is found, and the number is not in the page's address
    assert "1234" not in laptop.url
    assert_accessible(laptop)
    laptop.get_by_role("link", name="山田 花子").click()
    expect(laptop.get_by_role("heading", level=1)).to_have_text("山田 花子")
    expect(laptop.get_by_role("region", name="配送依頼 (1)")).to_contain_text(request.reference)
    assert_controls_labelled(laptop)
    shots(laptop, "person")

    # When they record, with a witness, that the person withdraws the consent to be referred
    consents = laptop.get_by_role("region", name="同意")
    row = consents.get_by_role("row").filter(has_text="相談機関へのつなぎ")
    row.get_by_text("撤回", exact=True).click()
    row.get_by_label("申し出の方法").select_option(value=ConsentRecord.Method.VERBAL)
    row.get_by_label("立会人").fill("佐藤 一郎")
    row.get_by_role("button", name="撤回を記録").click()

    # Then it shows as withdrawn, and the withdrawal is on record
    expect(laptop.get_by_role("status")).to_contain_text("撤回を記録しました")
    expect(
        laptop.get_by_role("region", name="同意").get_by_role("row").filter(has_text="相談機関へのつなぎ")
    ).to_contain_text("撤回済み")
    assert ConsentWithdrawal.objects.filter(
        consent__recipient_id=request.recipient_id, consent__purpose="referral"
    ).exists()
    shots(laptop, "withdrawn")

    # When they download the disclosure as JSON
    with laptop.expect_download() as download:
        laptop.get_by_role("link", name="開示（JSON）").click()
    with open(download.value.path(), encoding="utf-8") as f:
        data = json.load(f)

    # Then it holds the request, the withdrawal, and their own view of the person's page
    assert [r["reference"] for r in data["delivery_requests"]] == [request.reference]
    assert {c["purpose"]: c["state"] for c in data["consents"]}["referral"] == "withdrawn"
    assert any(
        v["by"] == "coordinator" and v["what"] == f"recipient #{request.recipient_id}" for v in data["views"]
    )


def test_coordinator_changes_the_dispatch_rule_and_triage_sizes_the_queue_by_it(
    laptop, network, catalogue, coordinator, case_worker_a, shots
):
    # Given a household of three asking for a week: three home packs in two boxes by default
    request = file_request(case_worker_a, network.agency_a)
    login(laptop, "coordinator")
    laptop.get_by_role("link", name="配送依頼の受付判断").click()
    expect(laptop.locator(f"#r{request.pk}")).to_contain_text("家庭向けパック × 3（2箱）")
    expect(laptop.locator(".sizing-rule")).to_contain_text("家庭向けパック＝7人日（1箱に2個まで）")

    # When the coordinator follows the rule's link and says a home pack feeds three for a week
    laptop.locator(".sizing-rule").get_by_role("link", name="ルールを変更").click()
    expect(laptop.get_by_role("heading", level=1)).to_have_text("配分ルール")
    expect_japanese(laptop)
    expect(laptop.locator("#rule-examples")).to_contain_text("5人 × 14日分: 家庭向けパック × 10 (5箱)")
    laptop.get_by_label("家庭向けパック：1個あたりの人日").fill("21")
    laptop.get_by_label("家庭向けパック：1箱に入る最大個数").fill("4")
    assert_controls_labelled(laptop)
    assert_accessible(laptop)
    laptop.get_by_role("button", name="ルールを保存").click()

    # Then the page shows the new rule and what it now gives
    expect(laptop.get_by_role("status")).to_contain_text("配分ルールを保存しました（1件変更）。")
    expect(
        laptop.locator("#dispatch-rule").get_by_role("row").filter(has_text="家庭向けパック")
    ).to_contain_text("21")
    expect(laptop.locator("#rule-examples")).to_contain_text("5人 × 14日分: 家庭向けパック × 3")
    shots(laptop, "dispatch-rule")

    # And the triage page sizes the request by it: one home pack, one box
    laptop.goto("/triage/")
    expect(laptop.locator(".sizing-rule")).to_contain_text("家庭向けパック＝21人日（1箱に4個まで）")
    expect(laptop.locator(f"#r{request.pk}")).to_contain_text("家庭向けパック × 1 (3人 × 7日分)")
    assert AuditEvent.objects.filter(actor=coordinator, object_type="dispatch_rule").count() == 1
