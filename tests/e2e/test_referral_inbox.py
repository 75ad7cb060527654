"""Journey of a referral's target: window staff on a phone find a referral in their inbox,
acknowledge it and record the contact (issue 6).

Button texts other journeys may rely on: 「受付済みにする」 (acknowledge), 「連絡を記録する」
(record the contact: fields 「連絡した日」 and 「連絡の結果」), 「対応を終了する」 (close: field
「紹介の結果」); the start page link 「届いた紹介」 and the window page's badge 「紹介 N件」.
"""

from playwright.sync_api import expect

from referrals import services
from referrals.models import Referral
from tests.referrals.factories import file_request

from .browser import (
    assert_accessible,
    assert_controls_labelled,
    assert_touch_targets,
    login,
    press_on,
    type_into,
)


def test_window_staff_acknowledge_a_referral_in_the_inbox(
    phone, network, coordinator, case_worker_a, window_staff_a, shots
):
    # Given a person who asked to be referred, referred by the coordinator to window A
    request = file_request(case_worker_a, network.agency_a)
    referral = services.create_referral(
        by=coordinator,
        recipient_id=request.recipient_id,
        source=Referral.Source.DELIVERY_REQUEST,
        delivery_request_id=request.pk,
        needs="家計の相談をしたい",
    )
    login(phone, "window_a")

    # When window A's staff open their referrals from the start page
    phone.get_by_role("link", name="届いた紹介").tap()

    # Then they see the referral, the person's name and phone, and what they want help with
    expect(phone.get_by_role("heading", level=1)).to_have_text("届いた紹介")
    card = phone.locator(f"#rf{referral.pk}")
    expect(card.get_by_role("heading")).to_contain_text(referral.reference)
    expect(card.get_by_role("heading")).to_contain_text("送付済み")
    expect(card).to_contain_text("山田 花子")
    expect(card.get_by_role("link", name="090-1234-5678")).to_be_visible()
    expect(card).to_contain_text("家計の相談をしたい")
    assert_controls_labelled(phone)
    assert_touch_targets(phone)
    assert_accessible(phone)
    shots(phone, "inbox")

    # When they acknowledge it with the keyboard (Tab to the button, Enter)
    with phone.expect_navigation():
        press_on(phone, card.get_by_role("button", name="受付済みにする"))

    # Then the page says so, the referral is acknowledged, and its button is gone
    expect(phone.get_by_role("status").first).to_contain_text(f"{referral.reference}：受付済みにしました。")
    card = phone.locator(f"#rf{referral.pk}")
    expect(card.get_by_role("heading")).to_contain_text("受付済み")
    expect(card.get_by_role("button", name="受付済みにする")).to_have_count(0)
    referral.refresh_from_db()
    assert referral.status == "acknowledged"
    assert_accessible(phone)
    shots(phone, "acknowledged")

    # When they record that they phoned the person
    type_into(phone, card.get_by_label("連絡の結果"), "電話で面談の日程を決めた")
    with phone.expect_navigation():
        press_on(phone, card.get_by_role("button", name="連絡を記録する"))

    # Then the referral is contacted, with the outcome on the card
    card = phone.locator(f"#rf{referral.pk}")
    expect(card.get_by_role("heading")).to_contain_text("連絡済み")
    expect(card).to_contain_text("電話で面談の日程を決めた")
    referral.refresh_from_db()
    assert (referral.status, referral.contact_outcome) == ("contacted", "電話で面談の日程を決めた")
    assert_touch_targets(phone)
    assert_accessible(phone)
    shots(phone, "contacted")
