"""Journeys through the foundation's pages: log in, switch language, log out, and see the worker."""

import json
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from playwright.sync_api import expect

from foodbank import outbox
from foodbank.models import WorkerHeartbeat
from foodbank.tasks import heartbeat_task
from tests.helpers import wait_for

from .browser import (
    assert_accessible,
    assert_controls_labelled,
    assert_touch_targets,
    expect_english,
    expect_japanese,
    login,
    login_with_keyboard,
    press_on,
    tab_to,
)


def test_window_staff_logs_in_on_a_phone_with_the_keyboard_only(phone, window_staff_a, shots):
    # Given window staff open the site on their phone
    phone.goto("/")

    # Then they are asked to log in, in Japanese, on a page that passes the accessibility check
    expect(phone).to_have_url("/accounts/login/?next=/")
    expect_japanese(phone)
    expect(phone.get_by_role("heading", level=1)).to_have_text("ログイン")
    assert_controls_labelled(phone)
    assert_touch_targets(phone)
    assert_accessible(phone)
    shots(phone, "login")

    # When they mistype the password (keys only: Tab between fields, Enter to send)
    login_form_error = phone.get_by_role("alert")
    phone.keyboard.type("window_a")  # the username field has focus when the page opens
    tab_to(phone, phone.get_by_label("パスワード"))
    phone.keyboard.type("wrong-password")
    phone.keyboard.press("Enter")

    # Then a clear Japanese message says so, the username is kept, and they are not logged in
    expect(login_form_error).to_have_text(
        "ユーザー名またはパスワードが正しくありません。もう一度入力してください。"
    )
    expect(phone.get_by_label("ユーザー名")).to_have_value("window_a")
    expect(phone.get_by_label("パスワード")).to_have_attribute("aria-invalid", "true")
    assert_accessible(phone)
    shots(phone, "wrong-password")

    # When they type the right password
    login_with_keyboard(phone, "window_a")

    # Then the start page shows their role at their window, in Japanese
    expect(phone).to_have_url("/")
    expect_japanese(phone)
    expect(phone.get_by_role("heading", level=1)).to_have_text("あなたの業務")
    card = phone.locator(".card")
    expect(card).to_have_count(1)
    expect(card.get_by_role("heading")).to_have_text("窓口スタッフ")
    expect(card).to_contain_text("小樽窓口")
    expect(phone.get_by_role("button", name="ログアウト")).to_be_visible()
    assert_controls_labelled(phone)
    assert_touch_targets(phone)
    assert_accessible(phone)
    shots(phone, "start-page")


def test_staff_switch_the_language_to_english_and_back(laptop, coordinator, shots):
    # Given a coordinator on the Japanese start page of a laptop
    login(laptop, "coordinator")
    expect(laptop.get_by_role("heading", level=1)).to_have_text("あなたの業務")

    # When they choose English in the language selector
    laptop.get_by_role("button", name="English").click()

    # Then the same page is in English
    expect_english(laptop)
    expect(laptop).to_have_url("/")
    expect(laptop.get_by_role("heading", level=1)).to_have_text("Your work")
    expect(laptop.locator(".card h2")).to_have_text("Coordinator")
    expect(laptop.get_by_role("button", name="Log out")).to_be_visible()
    assert_accessible(laptop)
    shots(laptop, "start-page-english")

    # When they switch back to Japanese, with the keyboard this time
    press_on(laptop, laptop.get_by_role("button", name="日本語"))

    # Then the page is Japanese again
    expect_japanese(laptop)
    expect(laptop.get_by_role("heading", level=1)).to_have_text("あなたの業務")
    expect(laptop.locator(".card h2")).to_have_text("コーディネーター")
    shots(laptop, "start-page-japanese")


def test_window_staff_log_out(phone, window_staff_a, shots):
    # Given window staff logged in on their phone
    login(phone, "window_a")

    # When they tap "log out"
    phone.get_by_role("button", name="ログアウト").tap()

    # Then they are back at the login page, and the start page asks for a login again
    expect(phone).to_have_url("/accounts/login/")
    expect(phone.get_by_role("heading", level=1)).to_have_text("ログイン")
    expect(phone.get_by_role("button", name="ログアウト")).to_have_count(0)
    shots(phone, "logged-out")
    phone.goto("/")
    expect(phone).to_have_url("/accounts/login/?next=/")


def test_healthz_shows_the_worker_ok_once_the_heartbeat_ran(live_server_with_worker, laptop):
    # Given the last heartbeat is long past (a canary left in the queue by an earlier /healthz may
    # also run at any moment, so the test starts from a known stale beat rather than from none)
    long_ago = timezone.now() - timedelta(hours=1)
    WorkerHeartbeat.objects.update_or_create(queue="celery", defaults={"beat_at": long_ago})

    # When the heartbeat task is scheduled the way every task is (the outbox, after commit)
    with transaction.atomic():
        outbox.enqueue(heartbeat_task)
    wait_for(
        lambda: WorkerHeartbeat.objects.filter(queue="celery", beat_at__gt=long_ago).exists(),
        message="a fresh heartbeat",
    )

    # Then /healthz, opened in the browser, reports the worker ok along with the database and broker
    response = laptop.goto("/healthz")
    assert response.status == 200
    assert json.loads(laptop.locator("body").inner_text()) == {
        "status": "ok",
        "database": "ok",
        "broker": "ok",
        "worker": "ok",
    }
