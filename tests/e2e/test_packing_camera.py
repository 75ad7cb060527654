"""The packing station on a phone: a volunteer reads the slip's QR code with the camera.

Chromium is given a fake camera that films a packing slip's QR code (a Y4M video made here from the
parcel's reference), so the page's own decoder (jsQR) reads a real picture of a real code; and a
Chromium without any camera shows what happens when the camera cannot be opened.
"""

from pathlib import Path

import pytest
import segno
from playwright.sync_api import expect

from shipping.models import Parcel
from tests.shipping.integration import approved_requests, make_b2_account, run_batch, tomorrow_batch

from .browser import CHROMIUM, CHROMIUM_ARGS, DEVICES, assert_accessible, assert_touch_targets, login


def write_qr_video(path: Path, data: str, *, width: int = 640, height: int = 480, scale: int = 8) -> None:
    """A Y4M video (what Chromium's fake camera plays, looped) of the QR code of ``data``, black on
    white in the middle of the picture, as a phone held over a slip would see it."""
    rows = segno.make_qr(data, error="m").matrix
    side = (len(rows) + 8) * scale  # with the 4-module quiet zone
    top, left = (height - side) // 2, (width - side) // 2
    luma = bytearray(b"\xff" * (width * height))
    for r, row in enumerate(rows):
        for c, dark in enumerate(row):
            if dark:
                for y in range(top + (r + 4) * scale, top + (r + 5) * scale):
                    start = y * width + left + (c + 4) * scale
                    luma[start : start + scale] = b"\x00" * scale
    chroma = b"\x80" * (width // 2 * height // 2)
    frame = b"FRAME\n" + bytes(luma) + chroma + chroma
    header = f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode()
    path.write_bytes(header + frame * 5)


@pytest.fixture
def built_batch(network, coordinator, case_worker_a, stocked):
    approved_requests(2, case_worker=case_worker_a, agency=network.agency_a, coordinator=coordinator)
    return run_batch(tomorrow_batch(make_b2_account(network.food_bank)).pk)


def test_volunteer_reads_the_slip_with_the_phone_camera_and_packs_the_parcel(
    browser, live_server, built_batch, volunteer, tmp_path, shots
):
    # given the second parcel's slip in front of the phone's camera
    parcel = Parcel.objects.filter(batch=built_batch).order_by("pk").last()
    video = tmp_path / "slip.y4m"
    write_qr_video(video, parcel.reference)
    camera_args = [
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ]
    with_camera = browser.browser_type.launch(
        executable_path=CHROMIUM, headless=True, args=[*CHROMIUM_ARGS, *camera_args]
    )
    try:
        context = with_camera.new_context(**DEVICES["phone"], base_url=live_server.url)
        context.set_default_timeout(15_000)
        context.grant_permissions(["camera"])
        phone = context.new_page()
        login(phone, "volunteer")
        phone.goto(f"/shipping/batches/{built_batch.pk}/pack/")
        expect(phone.get_by_role("button", name="カメラを閉じる")).to_be_hidden()
        assert_touch_targets(phone)
        assert_accessible(phone)

        # when the volunteer opens the camera
        phone.get_by_role("button", name="カメラで読み取る").click()

        # then the page reads the code and shows that parcel, as a scanner's Enter would
        region = phone.get_by_role("region", name=parcel.reference)
        expect(region.get_by_role("heading", level=3)).to_have_text("入れるもの")
        assert f"ref={parcel.reference}" in phone.url
        assert_accessible(phone)
        shots(phone, "read-by-camera")

        # and they mark it packed
        region.get_by_role("button", name="梱包済みにする").click()
        expect(phone.get_by_role("status")).to_have_text(f"{parcel.reference} を梱包済みにしました。")
        context.close()
    finally:
        with_camera.close()
    parcel.refresh_from_db()
    assert parcel.status == Parcel.Status.PACKED
    assert Parcel.objects.filter(batch=built_batch, status=Parcel.Status.PACKED).count() == 1


def test_without_a_camera_the_station_says_so_and_typing_still_works(phone, built_batch, volunteer):
    # given a phone whose camera cannot be opened (this Chromium has none)
    parcel = Parcel.objects.filter(batch=built_batch).order_by("pk").first()
    login(phone, "volunteer")
    phone.goto(f"/shipping/batches/{built_batch.pk}/pack/")

    # when the volunteer tries the camera
    phone.get_by_role("button", name="カメラで読み取る").click()

    # then the page says what to do instead, and nothing was packed
    expect(phone.get_by_text("カメラを起動できませんでした。")).to_be_visible()
    expect(phone.get_by_role("button", name="カメラで読み取る")).to_be_visible()
    expect(phone.get_by_role("button", name="カメラを閉じる")).to_be_hidden()
    expect(phone.get_by_label("カメラ", exact=True)).to_be_hidden()
    assert not Parcel.objects.filter(batch=built_batch, status=Parcel.Status.PACKED).exists()

    # and typing the reference still shows the parcel
    phone.get_by_label("梱包票のQRコードを読み取るか、お客様管理番号を入力").fill(parcel.reference)
    phone.get_by_role("button", name="表示", exact=True).click()
    expect(phone.get_by_role("region", name=parcel.reference)).to_be_visible()
