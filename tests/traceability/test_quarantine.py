"""One-action quarantine (docs/traceability.md): a recalled lot and every pack made from it leave use
at once; handouts and batches cannot take it, a racing handout either precedes it (and is in the
trail) or is refused; the recall report goes to the authorities without naming anyone."""

import io
import threading

import pytest
from django.db import transaction
from pypdf import PdfReader

from foodbank.models import AuditEvent
from inventory import recall as recall_services
from inventory import services
from inventory.exceptions import InsufficientStock, LotQuarantined
from inventory.lot_models import Recall
from inventory.models import Balance, Handout, MovementKind, StockMovement
from inventory.selectors import ledger_differences
from shipping import services as shipping_services
from shipping.models import Parcel
from tests.helpers import in_thread
from tests.shipping.integration import approved_requests, run_batch, tomorrow_batch

from .helpers import assemble, restock

HANDOUT = {"household_size": 1, "household_type": "single"}


def _on_hand(**filters) -> int:
    return sum(Balance.objects.filter(**filters).values_list("on_hand", flat=True))


@pytest.mark.django_db
def test_quarantine_takes_the_lot_and_its_packs_out_of_handouts_and_batches_at_once(
    api, network, catalogue, donated, coordinator, window_staff_a, case_worker_a, b2_account
):
    # Given 1-day sets and home packs made from the donor's rice, some sets at a window,
    day1 = assemble(network, catalogue.day1, 5, coordinator)
    home = assemble(network, catalogue.home, 4, coordinator)
    restock(network, network.window_a, catalogue.day1, 3, coordinator, window_staff_a)
    handed = services.record_handout(
        site=network.window_a, lines={"day1": 1}, recorded_by=window_staff_a, **HANDOUT
    )
    # and one parcel already reserved in a batch, not packed yet
    approved_requests(1, case_worker=case_worker_a, agency=network.agency_a, coordinator=coordinator)
    parcel = Parcel.objects.get(batch=run_batch(tomorrow_batch(b2_account).pk))
    assert parcel.stock_reserved

    # When the coordinator recalls the rice lot (one action)
    response = api(coordinator).post(
        "/api/v1/recalls/",
        {"lot": donated.rice.pk, "reason": "メーカー自主回収（異物混入）"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="recall-1",
    )

    # Then the rice and both pack lots are quarantined wherever they are, by movements of their own
    assert response.status_code == 201, response.content
    trace = response.json()["trace"]
    assert all(lot["quarantined_at"] for lot in trace["lots"])
    assert {lot["code"] for lot in trace["lots"]} == {donated.rice.code, day1.code, home.code}
    assert _on_hand(lot__in=[donated.rice, day1, home]) == 0
    quarantined = {(s["site_name"], s["lot"]): s["quarantined"] for s in trace["stock"]}
    assert quarantined[(network.window_a.name, day1.pk)] == 2
    assert quarantined[(network.warehouse.name, day1.pk)] == 2
    moved = StockMovement.objects.filter(kind=MovementKind.QUARANTINE)
    assert {m.reference for m in moved} == {f"recall:{response.json()['id']}"}
    assert trace["totals"]["window_sets"] == 1  # the handout before it is in the trail
    # and a handout of those sets is refused, nothing written
    with pytest.raises(InsufficientStock):
        services.record_handout(
            site=network.window_a, lines={"day1": 1}, recorded_by=window_staff_a, **HANDOUT
        )
    assert Handout.objects.count() == 1
    # and the reserved parcel cannot be packed (409 lot_quarantined), nothing written
    packed = api(coordinator).post(f"/api/v1/parcels/{parcel.pk}/packed/")
    assert packed.status_code == 409
    assert packed.json()["code"] == "lot_quarantined"
    assert not StockMovement.objects.filter(kind=MovementKind.PARCEL_PACKING).exists()
    # and an assembly cannot use the rice
    with pytest.raises(InsufficientStock):
        services.assemble_packs(
            site=network.warehouse, pack_type=catalogue.home, quantity=1, recorded_by=coordinator
        )
    # and a set that comes back (the handout voided) is quarantined as it arrives
    services.void_handout(handout_id=handed.pk, voided_by=window_staff_a)
    assert _on_hand(site=network.window_a, lot=day1) == 0
    assert ledger_differences() == []
    # and a retry of the same request starts no second recall
    again = api(coordinator).post(
        "/api/v1/recalls/",
        {"lot": donated.rice.pk, "reason": "メーカー自主回収（異物混入）"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="recall-1",
    )
    assert again.status_code == 201
    assert Recall.objects.count() == 1


@pytest.mark.django_db
def test_the_recall_report_names_agencies_and_counts_never_a_person(
    api, network, catalogue, donated, coordinator, window_staff_a, case_worker_a, b2_account
):
    home = assemble(network, catalogue.home, 3, coordinator)
    approved_requests(1, case_worker=case_worker_a, agency=network.agency_a, coordinator=coordinator)
    parcel = Parcel.objects.get(batch=run_batch(tomorrow_batch(b2_account).pk))
    shipping_services.mark_packed(parcel_id=parcel.pk, by=coordinator)
    recall = recall_services.start_recall(
        food_bank=network.food_bank, reason="アレルゲン表示欠落", started_by=coordinator, lot=donated.rice
    )
    recipient = parcel.recipient_name

    pdf = api(coordinator).get(f"/api/v1/recalls/{recall.pk}/report.pdf")
    csv = api(coordinator).get(f"/api/v1/recalls/{recall.pk}/report.csv")

    assert pdf.status_code == csv.status_code == 200
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    body = b"".join(csv.streaming_content).decode("utf-8-sig")
    for document in (text, body):
        assert parcel.reference in document
        assert network.agency_a.name in document
        assert home.code in document
        assert recipient not in document
    assert "回収（リコール）報告書" in text
    assert AuditEvent.objects.filter(action="recall.report", object_id=str(recall.pk)).count() == 2


@pytest.mark.django_db
def test_recalls_are_refused_to_volunteers_window_staff_and_other_food_banks(
    api, network, donated, coordinator, volunteer, window_staff_a, other_coordinator
):
    recall = recall_services.start_recall(
        food_bank=network.food_bank, reason="回収", started_by=coordinator, lot=donated.rice
    )
    body = {"lot": donated.rice.pk, "reason": "x"}
    for user in (volunteer, window_staff_a):
        assert api(user).post("/api/v1/recalls/", body, format="json").status_code == 403
        assert api(user).get(f"/api/v1/recalls/{recall.pk}/").status_code == 403
        assert api(user).get(f"/api/v1/recalls/{recall.pk}/report.csv").status_code == 403
    assert api(other_coordinator).post("/api/v1/recalls/", body, format="json").status_code == 400
    assert api(other_coordinator).get(f"/api/v1/recalls/{recall.pk}/").status_code == 404
    assert Recall.objects.count() == 1


def _window_with_one_set(network, catalogue, coordinator, window_staff_a):
    day1 = assemble(network, catalogue.day1, 1, coordinator)
    restock(network, network.window_a, catalogue.day1, 1, coordinator, window_staff_a)
    return day1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_handout_racing_the_quarantine_that_commits_first_appears_in_the_trail(
    network, catalogue, donated, coordinator, window_staff_a
):
    # Given the window's last set comes from the recalled rice
    day1 = _window_with_one_set(network, catalogue, coordinator, window_staff_a)
    holding, errors = threading.Event(), []
    release = threading.Event()

    def hand_out():
        with transaction.atomic():
            services.record_handout(
                site=network.window_a, lines={"day1": 1}, recorded_by=window_staff_a, **HANDOUT
            )
            holding.set()  # the set's row is locked, the handout not committed yet
            release.wait(timeout=30)

    # When a handout holds the row and the quarantine starts meanwhile in another transaction
    handout_thread = in_thread(hand_out, errors)
    assert holding.wait(timeout=30)
    recall_thread = in_thread(
        lambda: recall_services.start_recall(
            food_bank=network.food_bank, reason="回収", started_by=coordinator, lot=donated.rice
        ),
        errors,
    )
    recall_thread.join(timeout=2)
    assert recall_thread.is_alive()  # waiting for the handout's lock
    release.set()
    handout_thread.join(timeout=30)
    recall_thread.join(timeout=30)

    # Then the handout went through and is in the trail; nothing was left to quarantine at the window
    assert not errors, errors
    assert Handout.objects.count() == 1
    trail = recall_services.lot_trail(food_bank_id=network.food_bank.pk, lot_ids=[donated.rice.pk])
    assert trail.handout_sets == 1
    assert not [s for s in trail.stock if s.site_id == network.window_a.pk]
    assert _on_hand(lot=day1) == 0
    assert ledger_differences() == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_handout_racing_the_quarantine_that_commits_first_is_refused(
    network, catalogue, donated, coordinator, window_staff_a
):
    day1 = _window_with_one_set(network, catalogue, coordinator, window_staff_a)
    holding, release, errors, outcome = threading.Event(), threading.Event(), [], []

    def quarantine():
        with transaction.atomic():
            recall_services.start_recall(
                food_bank=network.food_bank, reason="回収", started_by=coordinator, lot=donated.rice
            )
            holding.set()  # the rows are locked, the quarantine not committed yet
            release.wait(timeout=30)

    def hand_out():
        try:
            services.record_handout(
                site=network.window_a, lines={"day1": 1}, recorded_by=window_staff_a, **HANDOUT
            )
            outcome.append("handed out")
        except (InsufficientStock, LotQuarantined) as exc:
            outcome.append(exc.code)

    # When the quarantine holds the rows and a handout comes meanwhile
    recall_thread = in_thread(quarantine, errors)
    assert holding.wait(timeout=30)
    handout_thread = in_thread(hand_out, errors)
    handout_thread.join(timeout=2)
    assert handout_thread.is_alive()  # waiting for the quarantine's lock
    release.set()
    recall_thread.join(timeout=30)
    handout_thread.join(timeout=30)

    # Then the handout is refused, nothing written, and the set is quarantined at the window
    assert not errors, errors
    assert outcome == ["insufficient_stock"]
    assert not Handout.objects.exists()
    trail = recall_services.lot_trail(food_bank_id=network.food_bank.pk, lot_ids=[donated.rice.pk])
    assert trail.handout_sets == 0
    assert [(s.site_id, s.quarantined) for s in trail.stock if s.lot_id == day1.pk] == [
        (network.window_a.pk, 1)
    ]
    assert ledger_differences() == []


@pytest.mark.django_db
def test_an_incident_linked_to_a_lot_starts_a_recall(
    api, network, donated, coordinator, volunteer, window_staff_a, other_coordinator
):
    # Given a household's suspected food poisoning reported against the rice lot
    body = {
        "kind": "illness",
        "occurred_on": "2026-11-30",
        "description": "喫食後に体調不良の連絡（相談窓口経由）",
        "lots": [donated.rice.pk],
    }
    for user in (volunteer, window_staff_a):
        assert api(user).post("/api/v1/incidents/", body, format="json").status_code == 403
    assert api(other_coordinator).post("/api/v1/incidents/", body, format="json").status_code == 400
    response = api(coordinator).post("/api/v1/incidents/", body, format="json")
    assert response.status_code == 201, response.content
    incident = response.json()
    assert incident["lots"] == [donated.rice.code]

    # When the coordinator starts a recall from it
    recall = api(coordinator).post(
        "/api/v1/recalls/",
        {"lot": donated.rice.pk, "reason": "食中毒の疑い", "incident": incident["id"]},
        format="json",
    )

    # Then the recall names the incident, and the incident log shows the recall
    assert recall.status_code == 201
    assert recall.json()["incident"] == incident["id"]
    log = api(coordinator).get("/api/v1/incidents/").json()["results"]
    assert [(i["id"], i["recalls"]) for i in log] == [(incident["id"], [recall.json()["id"]])]
