"""Allergen-aware packing (docs/traceability.md): a household allergic to えび never gets a pack made
with えび when another lot can serve it; when none can, the slip tells the packer what to take out."""

import io

import pytest
from pypdf import PdfReader

from inventory import intake
from inventory.models import MovementKind, Reservation, StockMovement
from inventory.selectors import ledger_differences
from shipping.models import Parcel
from tests.inventory.helpers import in_days
from tests.shipping.integration import approved_requests, run_batch, tomorrow_batch

from .helpers import assemble, receive

pytestmark = pytest.mark.django_db


def _lots_of(parcel):
    reservation = Reservation.objects.get(reference=parcel.reservation_reference)
    return [line.lot for line in reservation.lines.select_related("lot")]


def _requests(network, case_worker_a, coordinator, *, allergic: int, other: int):
    # The allergic households first: first expiry first out alone would give them the えび packs.
    approved_requests(
        allergic,
        case_worker=case_worker_a,
        agency=network.agency_a,
        coordinator=coordinator,
        allergies="エビ・カニ",
    )
    if other:
        approved_requests(other, case_worker=case_worker_a, agency=network.agency_a, coordinator=coordinator)


def test_an_ebi_allergic_household_never_receives_an_ebi_pack_in_a_batch_of_many(
    network, catalogue, donated, coordinator, volunteer, case_worker_a, b2_account
):
    # Given home packs made with the えび rice (first in FEFO order) and home packs without えび
    shrimp_packs = [assemble(network, catalogue.home, 5, coordinator) for _ in range(2)]  # the 100 rice
    receive(
        network.warehouse,
        donated.donor,
        volunteer,
        intake.InspectedLine(item=catalogue.rice, quantity=400, best_before=in_days(200)),
        intake.InspectedLine(
            item=catalogue.noodles, quantity=400, best_before=in_days(150), allergens=["wheat"]
        ),
    )
    clean = assemble(network, catalogue.home, 30, coordinator)
    assert all("shrimp" in lot.allergens for lot in shrimp_packs)
    assert "shrimp" not in clean.allergens
    # and a batch of twelve households, four of them allergic to えび
    _requests(network, case_worker_a, coordinator, allergic=4, other=8)

    # When the batch is built
    batch = run_batch(tomorrow_batch(b2_account).pk)

    # Then every parcel is reserved; the allergic households' boxes hold no えび lot
    parcels = list(Parcel.objects.filter(batch=batch).order_by("pk"))
    assert len(parcels) == 12
    assert all(p.stock_reserved for p in parcels)
    allergic = [p for p in parcels if "エビ" in p.packing.get("allergies", "")]
    assert len(allergic) == 4
    for parcel in allergic:
        assert all("shrimp" not in lot.allergens for lot in _lots_of(parcel))
        assert "substitutions" not in parcel.packing
    # while first expiry first out still serves the others from the えび packs first
    others = [p for p in parcels if p not in allergic]
    assert any("shrimp" in lot.allergens for p in others for lot in _lots_of(p))


def test_when_only_ebi_packs_are_left_the_slip_marks_the_substitution(
    api, network, catalogue, donated, coordinator, case_worker_a, b2_account
):
    # Given only home packs made with the えび rice
    assemble(network, catalogue.home, 5, coordinator)
    _requests(network, case_worker_a, coordinator, allergic=1, other=0)

    # When the batch is built
    batch = run_batch(tomorrow_batch(b2_account).pk)

    # Then the box is reserved and the packer is told what to take out, on the station and the slip
    parcel = Parcel.objects.get(batch=batch)
    assert parcel.stock_reserved
    assert parcel.packing["substitutions"] == [{"sku": "home", "allergens": ["shrimp"]}]
    note = "えび含む食品を除く：家庭向けパックのえびを含む品を別の品に"
    assert note in parcel.packing["notes"]
    slips = api(coordinator).get(f"/api/v1/dispatch-batches/{batch.pk}/").json()["documents"]["packing_slips"]
    response = api(coordinator).get(slips)
    content = response.content if hasattr(response, "content") else b"".join(response.streaming_content)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages).replace("\n", "")
    assert "えび含む食品を除く" in text
    assert "転売禁止" in text  # donated food is not for sale


def test_the_case_worker_sees_the_allergies_as_codes_on_the_request(api, network, case_worker_a):
    from tests.referrals.factories import body

    created = api(case_worker_a).post("/api/v1/delivery-requests/", body(), format="json")
    assert created.status_code == 201, created.content

    seen = api(case_worker_a).get(f"/api/v1/delivery-requests/{created.json()['id']}/").json()["dietary"]

    assert seen["allergies"] == "えび・かに"
    assert seen["allergens"] == ["shrimp", "crab"]


def _slip_text(api, coordinator, batch) -> str:
    slips = api(coordinator).get(f"/api/v1/dispatch-batches/{batch.pk}/").json()["documents"]["packing_slips"]
    response = api(coordinator).get(slips)
    content = response.content if hasattr(response, "content") else b"".join(response.streaming_content)
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages).replace("\n", "")


def test_an_ebi_allergic_household_gets_the_alternative_pack_type_in_a_batch_of_many(
    api, client, network, catalogue, donated, ebi_free, coordinator, volunteer, case_worker_a, b2_account
):
    # Given every 家庭向けパック made with the えび rice, and the えび-free alternative in stock
    home_lots = [assemble(network, catalogue.home, 5, coordinator) for _ in range(2)]  # the 100 rice
    alt_lot = assemble(network, ebi_free, 6, coordinator)
    assert all("shrimp" in lot.allergens for lot in home_lots)
    assert "shrimp" not in alt_lot.allergens
    # and a batch of ten households, four of them allergic to えび and かに
    _requests(network, case_worker_a, coordinator, allergic=4, other=6)

    # When the batch is built
    batch = run_batch(tomorrow_batch(b2_account).pk)

    # Then every parcel is reserved; the allergic households get the alternative, never an えび lot
    parcels = list(Parcel.objects.filter(batch=batch).order_by("pk"))
    assert len(parcels) == 10
    assert all(p.stock_reserved for p in parcels)
    allergic = [p for p in parcels if "エビ" in p.packing.get("allergies", "")]
    assert len(allergic) == 4
    for parcel in allergic:
        lots = _lots_of(parcel)
        assert lots
        assert all(lot.pack_type_id == ebi_free.pk for lot in lots)
        assert all("shrimp" not in lot.allergens for lot in lots)
        assert [(c["name"], c["quantity"]) for c in parcel.packing["contents"]] == [
            ("家庭向けパック（えび・かに不使用）", 1)
        ]
        assert "substitutions" not in parcel.packing  # nothing to take out by hand
    # and the others keep the default pack type
    for parcel in parcels:
        if parcel not in allergic:
            assert {lot.pack_type_id for lot in _lots_of(parcel)} == {catalogue.home.pk}
            assert [c["name"] for c in parcel.packing["contents"]] == ["家庭向けパック"]
    # The slip and the packing station show the alternative
    text = _slip_text(api, coordinator, batch)
    assert "家庭向けパック（えび・かに不使用）" in text
    note = "えび・かにを除く：家庭向けパックの代わりに家庭向けパック（えび・かに不使用）"
    assert note in text
    client.force_login(volunteer)
    station = client.get(f"/shipping/batches/{batch.pk}/pack/?parcel={allergic[0].pk}").content.decode()
    assert "家庭向けパック（えび・かに不使用） × 1" in station
    assert note in station
    # and packing it consumes the alternative's lot
    assert (
        api(volunteer).post(f"/api/v1/parcels/{allergic[0].pk}/packed/", {}, format="json").status_code == 200
    )
    assert StockMovement.objects.filter(
        kind=MovementKind.PARCEL_PACKING, reference=allergic[0].reservation_reference, lot=alt_lot
    ).exists()
    assert ledger_differences() == []


def test_with_the_alternative_out_of_stock_the_slip_marks_the_substitution(
    network, catalogue, donated, ebi_free, coordinator, case_worker_a, b2_account
):
    # Given only 家庭向けパック made with the えび rice; its alternative has none in stock
    assemble(network, catalogue.home, 5, coordinator)
    _requests(network, case_worker_a, coordinator, allergic=1, other=0)

    parcel = Parcel.objects.get(batch=run_batch(tomorrow_batch(b2_account).pk))

    # Then the default is reserved and the packer is told what to take out
    assert parcel.stock_reserved
    assert {lot.pack_type_id for lot in _lots_of(parcel)} == {catalogue.home.pk}
    assert parcel.packing["substitutions"] == [{"sku": "home", "allergens": ["shrimp"]}]
    assert "alternatives" not in parcel.packing


def test_a_coordinator_names_the_alternative_on_the_pack_type_page(
    client, network, catalogue, coordinator, other_coordinator
):
    from foodbank.models import AuditEvent
    from inventory import services

    alt = services.upsert_pack_type(
        food_bank=network.food_bank, code="home-noebi", name="家庭向けパック（えび・かに不使用）", days=7
    )
    client.force_login(coordinator)
    page = client.get(f"/console/pack-types/{catalogue.home.pk}/").content.decode()
    assert "家庭向けパック（えび・かに不使用）" in page
    assert "アレルゲン不使用の代替パック" in page

    response = client.post(
        f"/console/pack-types/{catalogue.home.pk}/",
        {"name": "家庭向けパック", "days": 7, "sort_order": 3, "active": "on", "alternatives": [alt.pk]},
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert list(catalogue.home.alternatives.all()) == [alt]
    assert AuditEvent.objects.filter(object_type="pack_type", object_id=str(catalogue.home.pk)).exists()
    # another food bank's coordinator cannot name it
    client.force_login(other_coordinator)
    assert client.get(f"/console/pack-types/{catalogue.home.pk}/").status_code == 404


# --- Allergens given as codes (the case worker ticks them; docs/traceability.md) -----------------


def _file_with_codes(api, case_worker, coordinator, codes, *, allergies=""):
    """One person's request filed through the API with allergen codes (and no free text unless
    given), approved, and approved before the others so that first expiry first out alone would
    give it the えび packs."""
    from datetime import timedelta

    from django.utils import timezone

    from referrals.models import DeliveryRequest
    from tests.referrals.factories import body

    data = body(
        household={"type": "single", "adults": 1, "children": 0, "infants": 0},
        extras=[],
        dietary={"allergies": allergies, "allergens": codes, "note": ""},
    )
    created = api(case_worker).post("/api/v1/delivery-requests/", data, format="json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    approved = api(coordinator).post(f"/api/v1/delivery-requests/{pk}/approve/", {}, format="json")
    assert approved.status_code == 200, approved.content
    DeliveryRequest.objects.filter(pk=pk).update(approved_at=timezone.now() - timedelta(hours=2))
    return pk


def _shrimp_and_clean_packs(network, catalogue, donated, coordinator, volunteer):
    shrimp_packs = [assemble(network, catalogue.home, 5, coordinator) for _ in range(2)]  # the 100 rice
    receive(
        network.warehouse,
        donated.donor,
        volunteer,
        intake.InspectedLine(item=catalogue.rice, quantity=400, best_before=in_days(200)),
        intake.InspectedLine(
            item=catalogue.noodles, quantity=400, best_before=in_days(150), allergens=["wheat"]
        ),
    )
    clean = assemble(network, catalogue.home, 30, coordinator)
    assert all("shrimp" in lot.allergens for lot in shrimp_packs)
    assert "shrimp" not in clean.allergens


def test_a_household_that_ticked_shrimp_gets_no_shrimp_pack_without_any_free_text(
    api, client, network, catalogue, donated, coordinator, volunteer, case_worker_a, b2_account
):
    # Given home packs made with the えび rice (first in FEFO order) and home packs without えび
    _shrimp_and_clean_packs(network, catalogue, donated, coordinator, volunteer)
    # and a household whose case worker ticked えび, with nothing in the free text, among others
    pk = _file_with_codes(api, case_worker_a, coordinator, ["shrimp"])
    approved_requests(2, case_worker=case_worker_a, agency=network.agency_a, coordinator=coordinator)

    # When the batch is built
    batch = run_batch(tomorrow_batch(b2_account).pk)

    # Then its box holds no えび lot and needs no substitution
    parcel = Parcel.objects.get(batch=batch, delivery_request_id=pk)
    assert parcel.stock_reserved
    assert parcel.packing["allergies"] == ""
    assert parcel.packing["allergens"] == ["shrimp"]
    assert _lots_of(parcel)
    assert all("shrimp" not in lot.allergens for lot in _lots_of(parcel))
    assert "substitutions" not in parcel.packing
    # while the others are still served from the えび packs first
    others = Parcel.objects.filter(batch=batch).exclude(delivery_request_id=pk)
    assert any("shrimp" in lot.allergens for p in others for lot in _lots_of(p))
    # and the packer is warned although the case worker wrote no text: the slip's allergy box and
    # the station name えび (a packer adds extras and substitutes by hand)
    slips = api(coordinator).get(f"/api/v1/dispatch-batches/{batch.pk}/").json()["documents"]["packing_slips"]
    response = api(coordinator).get(slips)
    content = response.content if hasattr(response, "content") else b"".join(response.streaming_content)
    pages = [page.extract_text().replace("\n", "") for page in PdfReader(io.BytesIO(content)).pages]
    (slip,) = [text for text in pages if parcel.reference in text]
    assert "えび" in slip
    client.force_login(volunteer)
    station = client.get(f"/shipping/batches/{batch.pk}/pack/?parcel={parcel.pk}").content.decode()
    assert "アレルギー:</strong> えび" in station


def test_a_ticked_allergen_with_only_its_packs_left_is_a_substitution_for_the_packer(
    api, network, catalogue, donated, coordinator, case_worker_a, b2_account
):
    # Given only home packs made with the えび rice, and a household that ticked えび only
    assemble(network, catalogue.home, 5, coordinator)
    pk = _file_with_codes(api, case_worker_a, coordinator, ["shrimp"])

    # When the batch is built
    batch = run_batch(tomorrow_batch(b2_account).pk)

    # Then the packer is told what to take out
    parcel = Parcel.objects.get(batch=batch, delivery_request_id=pk)
    assert parcel.packing["substitutions"] == [{"sku": "home", "allergens": ["shrimp"]}]
    assert "えび含む食品を除く：家庭向けパックのえびを含む品を別の品に" in parcel.packing["notes"]


def test_ticked_codes_and_the_free_text_are_both_avoided(
    api, network, catalogue, donated, coordinator, case_worker_a, b2_account
):
    # Given a household that ticked 卵 and wrote 「エビ」 in the free text
    assemble(network, catalogue.home, 5, coordinator)
    pk = _file_with_codes(api, case_worker_a, coordinator, ["egg"], allergies="エビ")

    # When the batch is built
    batch = run_batch(tomorrow_batch(b2_account).pk)

    # Then packing avoids both: the えび packs are a substitution for the packer
    parcel = Parcel.objects.get(batch=batch, delivery_request_id=pk)
    assert parcel.packing["allergens"] == ["shrimp", "egg"]
    assert parcel.packing["substitutions"] == [{"sku": "home", "allergens": ["shrimp"]}]


def test_correcting_the_codes_of_a_batched_request_reserves_its_box_again_without_them(
    api, network, catalogue, donated, coordinator, volunteer, case_worker_a, b2_account
):
    # Given a household filed without allergens, whose box took an えび pack (first in FEFO order)
    _shrimp_and_clean_packs(network, catalogue, donated, coordinator, volunteer)
    pk = _file_with_codes(api, case_worker_a, coordinator, [])
    batch = run_batch(tomorrow_batch(b2_account).pk)
    parcel = Parcel.objects.get(batch=batch, delivery_request_id=pk)
    assert any("shrimp" in lot.allergens for lot in _lots_of(parcel))

    # When the coordinator corrects the request: the household is allergic to えび
    response = api(coordinator).patch(
        f"/api/v1/delivery-requests/{pk}/", {"dietary": {"allergens": ["shrimp"]}}, format="json"
    )

    # Then the correction is recorded by the field's name, and the box is reserved again without えび
    assert response.status_code == 200, response.content
    assert response.json()["dietary"]["allergens"] == ["shrimp"]
    assert response.json()["events"][-1]["fields"] == ["allergens"]
    parcel.refresh_from_db()
    assert parcel.packing["allergens"] == ["shrimp"]
    assert parcel.stock_reserved
    assert _lots_of(parcel)
    assert all("shrimp" not in lot.allergens for lot in _lots_of(parcel))


def test_households_without_allergies_are_not_sized_with_the_alternative(
    network, catalogue, donated, coordinator, case_worker_a, b2_account
):
    from inventory import services

    # Given an alternative whose code sorts before its pack type's (the sizing rule breaks ties by
    # code), with stock of both: 家庭向けパック made with the えび rice, the alternative without
    alt = services.upsert_pack_type(
        food_bank=network.food_bank, code="a-home-noebi", name="家庭向けパック（えび不使用）", days=7
    )
    services.set_pack_recipe(
        pack_type=alt, lines=[(catalogue.noodles, 5), (catalogue.water, 4)], created_by=coordinator
    )
    services.set_pack_type_alternatives(pack_type=catalogue.home, alternatives=[alt])
    assemble(network, catalogue.home, 5, coordinator)
    assemble(network, alt, 3, coordinator)
    # and a batch of three households, one allergic to えび
    _requests(network, case_worker_a, coordinator, allergic=1, other=2)

    # When the batch is built
    parcels = list(Parcel.objects.filter(batch=run_batch(tomorrow_batch(b2_account).pk)).order_by("pk"))

    # Then the households without allergies get the usual pack type, sized and reserved
    allergic = [p for p in parcels if "エビ" in p.packing.get("allergies", "")]
    others = [p for p in parcels if p not in allergic]
    assert (len(allergic), len(others)) == (1, 2)
    for parcel in others:
        assert [c["pack_type"] for c in parcel.packing["contents"]] == ["home"]
        assert {lot.pack_type_id for lot in _lots_of(parcel)} == {catalogue.home.pk}
    # and the allergic one still gets the alternative
    assert [c["pack_type"] for c in allergic[0].packing["contents"]] == ["a-home-noebi"]
    assert {lot.pack_type_id for lot in _lots_of(allergic[0])} == {alt.pk}
