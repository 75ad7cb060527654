"""Coordinators on a laptop: a pantry shipment for a children's cafeteria, and voiding a parcel
from the batch page."""

from playwright.sync_api import expect

from foodbank.models import Organisation
from shipping.models import PantryShipment, Parcel
from tests.factories import OrganisationFactory
from tests.shipping.integration import approved_requests, make_b2_account, run_batch, tomorrow_batch

from .browser import assert_accessible, assert_controls_labelled, login, press_on, type_into


def test_coordinator_records_a_pantry_shipment(laptop, network, coordinator, stocked, shots):
    # given a children's cafeteria partnered with the food bank
    OrganisationFactory(
        code="kodomo",
        food_bank=network.food_bank,
        name="こども食堂みなみ",
        kind=Organisation.Kind.PANTRY_GROUP,
    )
    login(laptop, "coordinator")

    # when the coordinator opens パントリー便 from the start page and fills in the form
    laptop.get_by_role("link", name="パントリー便").click()
    expect(laptop.get_by_role("heading", level=1)).to_have_text("パントリー便")
    assert_controls_labelled(laptop)
    assert_accessible(laptop)
    shots(laptop, "form")
    laptop.get_by_label("セット種別").select_option(label="3日分セット")
    laptop.get_by_label("セット数").fill("15")
    laptop.get_by_label("担当者名").fill("佐藤 花子")
    laptop.get_by_label("郵便番号").fill("060-0001")
    type_into(laptop, laptop.get_by_label("住所"), "北海道札幌市中央区北一条西2丁目")
    press_on(laptop, laptop.get_by_role("button", name="パントリー便を登録する"))

    # then it is saved and listed, waiting for the next batch
    expect(laptop.get_by_role("status")).to_contain_text("こども食堂みなみ")
    expect(laptop.get_by_role("row", name="こども食堂みなみ")).to_contain_text("未予約")
    assert_accessible(laptop)
    shots(laptop, "saved")
    shipment = PantryShipment.objects.get()
    assert (shipment.quantity, shipment.pack_type, shipment.postal_code) == (15, stocked.day3, "0600001")


def test_coordinator_voids_a_parcel_from_the_batch_page(
    laptop,
    network,
    coordinator,
    case_worker_a,
    stocked,
    shots,
):
    # given a built Yamato batch of one parcel
    approved_requests(1, case_worker=case_worker_a, agency=network.agency_a, coordinator=coordinator)
    batch = run_batch(tomorrow_batch(make_b2_account(network.food_bank)).pk)
    parcel = Parcel.objects.get(batch=batch)
    login(laptop, "coordinator")
    laptop.goto(f"/shipping/batches/{batch.pk}/")
    assert_controls_labelled(laptop)
    assert_accessible(laptop)

    # when the coordinator scans the slip's reference and voids it to remake it tomorrow
    laptop.locator("#void_reference").fill(parcel.reference)
    laptop.get_by_role("button", name="この荷物を無効にする").click()

    # then the page says so, and what to delete in B2 Cloud
    expect(laptop.get_by_role("status")).to_contain_text(f"{parcel.reference} を無効にしました。")
    expect(laptop.get_by_role("status")).to_contain_text("B2クラウド")
    assert_accessible(laptop)
    shots(laptop, "voided")
    parcel.refresh_from_db()
    assert parcel.status == "void"
