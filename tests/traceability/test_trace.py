"""The recall trace (docs/traceability.md): from a donor lot through assembly, restocks, window
handouts and parcels to every site, window and household it reached, with counts equal to the ledger."""

import pytest
from django.db.models import Sum

from foodbank.models import AuditEvent, Role
from inventory import services
from inventory.lot_models import Lot
from inventory.models import MovementKind, StockMovement
from inventory.selectors import ledger_differences
from shipping import services as shipping_services
from shipping.models import Parcel
from tests.factories import SiteFactory
from tests.helpers import make_actor
from tests.shipping.integration import approved_requests, run_batch, tomorrow_batch

from .helpers import assemble, restock

pytestmark = pytest.mark.django_db

HANDOUT = {"household_size": 2, "household_type": "single_parent"}


def _ledger(lot_ids, kind) -> int:
    total = StockMovement.objects.filter(lot_id__in=lot_ids, kind=kind, reversed_by__isnull=True).aggregate(
        t=Sum("quantity")
    )["t"]
    return -(total or 0)


def test_a_lot_split_across_two_assemblies_three_windows_and_four_parcels_is_traced_exactly(
    api, network, catalogue, donated, coordinator, case_worker_a, b2_account
):
    window_c = SiteFactory(
        code="win-c", organisation=network.agency_a, food_bank=network.food_bank, name="余市窓口"
    )
    staff = {
        w.pk: make_actor(f"staff-{w.code}", Role.WINDOW_STAFF, w.organisation, w)
        for w in (network.window_a, network.window_b, window_c)
    }
    # Given the donor's rice went into 1-day sets (2 each) and home parcels (10 each)
    day1 = assemble(network, catalogue.day1, 12, coordinator)  # 24 rice
    home = assemble(network, catalogue.home, 6, coordinator)  # 60 rice
    # three windows were restocked with 1-day sets and handed some out (one handout voided)
    for window, sets in ((network.window_a, 4), (network.window_b, 3), (window_c, 3)):
        restock(network, window, catalogue.day1, sets, coordinator, staff[window.pk])
    for window, lines in ((network.window_a, [1, 2]), (network.window_b, [1]), (window_c, [1, 1])):
        for quantity in lines:
            services.record_handout(
                site=window, lines={"day1": quantity}, recorded_by=staff[window.pk], **HANDOUT
            )
    mistaken = services.record_handout(
        site=window_c, lines={"day1": 1}, recorded_by=staff[window_c.pk], **HANDOUT
    )
    services.void_handout(handout_id=mistaken.pk, voided_by=staff[window_c.pk])
    # and four parcels were packed with home packs
    approved_requests(4, case_worker=case_worker_a, agency=network.agency_a, coordinator=coordinator)
    batch = run_batch(tomorrow_batch(b2_account).pk)
    parcels = list(Parcel.objects.filter(batch=batch).order_by("reference"))
    assert len(parcels) == 4
    for parcel in parcels:
        shipping_services.mark_packed(parcel_id=parcel.pk, by=coordinator)
    before = AuditEvent.objects.count()

    # When the coordinator traces the donor's rice lot
    response = api(coordinator).get(f"/api/v1/recalls/trace/?lot={donated.rice.pk}")

    # Then the answer follows it into both pack lots, every window and every parcel
    assert response.status_code == 200, response.content
    data = response.json()
    assert {lot["code"] for lot in data["lots"]} == {donated.rice.code, day1.code, home.code}
    assert [(a["pack_lot"], a["quantity"], a["packs"]) for a in data["assembled"]] == [
        (day1.pk, 24, 12),
        (home.pk, 60, 6),
    ]
    assert sorted((s["to_site_name"], s["quantity"]) for s in data["shipped"]) == [
        ("余市窓口", 3),
        ("小樽窓口", 4),
        ("旭川窓口", 3),
    ]
    by_window = {}
    for row in data["window_handouts"]:
        by_window.setdefault(row["site_name"], [0, 0])
        by_window[row["site_name"]][0] += row["handouts"]
        by_window[row["site_name"]][1] += row["sets"]
    assert by_window == {"小樽窓口": [2, 3], "旭川窓口": [1, 1], "余市窓口": [2, 2]}  # the void is left out
    assert "household" not in str(data["window_handouts"])  # counts only
    packed_units = {p.reference: p for p in parcels}
    assert sorted(p["reference"] for p in data["parcels"]) == sorted(packed_units)
    assert {p["agency_name"] for p in data["parcels"]} == {network.agency_a.name}
    assert all("recipient" not in key for p in data["parcels"] for key in p)
    # and every count equals the ledger
    ids = [donated.rice.pk, day1.pk, home.pk]
    assert data["totals"]["window_sets"] == _ledger(ids, MovementKind.HANDOUT) == 6
    assert sum(p["quantity"] for p in data["parcels"]) == _ledger(ids, MovementKind.PARCEL_PACKING)
    assert sum(s["quantity"] for s in data["shipped"]) == _ledger(ids, MovementKind.TRANSFER_OUT) == 10
    stock = {(s["site_name"], s["lot"]): s["on_hand"] + s["reserved"] for s in data["stock"]}
    assert stock[(network.warehouse.name, donated.rice.pk)] == 100 - 24 - 60
    assert stock[(network.warehouse.name, day1.pk)] == 12 - 10
    assert stock[("小樽窓口", day1.pk)] == 1
    assert stock[("旭川窓口", day1.pk)] == 2
    assert stock[("余市窓口", day1.pk)] == 1  # the voided handout's set came back
    assert data["totals"]["remaining"] == sum(stock.values())
    assert data["totals"]["households"] == 4
    # and the view is audited
    event = AuditEvent.objects.exclude(pk__lte=before).get(action="recall.trace")
    assert event.actor == coordinator
    assert event.detail == {"lots": 3, "parcels": 4, "households": 4}
    assert ledger_differences() == []


def test_a_product_and_date_range_traces_every_lot_of_it(
    api, network, catalogue, donated, coordinator, volunteer
):
    from inventory import intake
    from tests.inventory.helpers import in_days

    from .helpers import receive

    other = intake.save_donor(food_bank=network.food_bank, kind="farm", name="石狩ファーム")
    receive(
        network.warehouse,
        other,
        volunteer,
        intake.InspectedLine(item=catalogue.rice, quantity=5, best_before=in_days(400)),
    )

    wide = (
        api(coordinator).get(f"/api/v1/recalls/trace/?item=rice&date_from={in_days(100).isoformat()}").json()
    )
    narrow = (
        api(coordinator)
        .get(
            f"/api/v1/recalls/trace/?item=rice&date_from={in_days(100).isoformat()}&date_to={in_days(250).isoformat()}"
        )
        .json()
    )

    assert sorted(lot["donor"] for lot in wide["lots"]) == ["北海道食品株式会社", "石狩ファーム"]
    assert [lot["code"] for lot in narrow["lots"]] == [donated.rice.code]
    assert Lot.objects.filter(item=catalogue.rice).count() == 2


def test_the_trace_is_refused_to_volunteers_window_staff_case_workers_and_other_food_banks(
    api, network, donated, volunteer, window_staff_a, case_worker_a, other_coordinator
):
    url = f"/api/v1/recalls/trace/?lot={donated.rice.pk}"
    for user in (volunteer, window_staff_a, case_worker_a):
        assert api(user).get(url).status_code == 403
    assert api(other_coordinator).get(url).status_code == 400  # not a lot they can name
    assert not AuditEvent.objects.filter(action__startswith="recall.").exists()
