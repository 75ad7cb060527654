#!/usr/bin/env python
"""The recall trace of one lot over a busy food bank's year, beside the "well under a second" target
(docs/spec.md §7, docs/traceability.md).

    python bench/recall_bench.py [--lots 5000] [--handouts 100000] [--parcels 30000] [--windows 60]
                                 [--repeat 5]

What it does:

1. drops and creates its own PostgreSQL database (``BENCH_DATABASE_URL``, default
   ``postgres://postgres@127.0.0.1:5432/fb_recall_bench``) and migrates it;
2. generates in PostgreSQL (``generate_series``, no rows through Python) one food bank's year:
   ``--lots`` donation lots received at the warehouse (400 units of 0.5 kg each by default, 2,000 t
   at 5,000 lots), one assembly per five lots, each consuming four donation lots into a pack lot,
   every 1-day/3-day pack lot restocked to three windows, ``--handouts`` window handouts and
   ``--parcels`` packed home parcels, each taking one pack lot;
3. traces one donation lot in the middle of the year (``traceability.trace.trace``) and through the
   API (``GET /api/v1/recalls/trace/?lot=``, the whole Django and DRF stack with the audit event),
   cold and warm (median of ``--repeat``), and prints the time and the **number of queries** of each,
   for three lots with different trails: the count is the same whatever the data size and the lot;
4. checks the trace against the ledger (exit 1 if a count differs).

Prints figures, never fails on time. Sizes are arguments so a small machine can run it.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/fb_recall_bench")
os.environ["DATABASE_URL"] = os.environ["BENCH_DATABASE_URL"]
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"

from bench.report_bench import insert_series, recreate_database, say  # noqa: E402

WHEN = "(timestamptz '2025-04-01 09:00+09' + ((g::bigint * 7919) % 365) * interval '1 day')"


def seed(*, lots: int, handouts: int, parcels: int, windows: int) -> dict:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from foodbank.models import Organisation, Role, Site
    from foodbank.services import grant_role
    from inventory.lot_models import Donor, Lot
    from inventory.models import Assembly, Handout, Item, PackRecipe, PackType, RestockShipment, StockMovement
    from shipping.models import CarrierAccount, Parcel

    call_command("migrate", verbosity=0)
    fb = Organisation.objects.create(name="ベンチ食料銀行", kind=Organisation.Kind.FOOD_BANK, code="bench-fb")
    agency = Organisation.objects.create(
        name="ベンチ社協", kind=Organisation.Kind.SOCIAL_WELFARE_COUNCIL, code="bench-agency", food_bank=fb
    )
    site = {"postal_code": "0650011", "municipality": "札幌市", "address": "1", "food_bank": fb}
    wh = Site.objects.create(organisation=fb, kind=Site.Kind.WAREHOUSE, name="倉庫", code="bench-wh", **site)
    first_window = None
    for i in range(windows):
        w = Site.objects.create(
            organisation=agency, kind=Site.Kind.WINDOW, name=f"窓口{i}", code=f"w{i}", **site
        )
        first_window = first_window or w.pk
    packs = [
        PackType.objects.create(food_bank=fb, code=c, name=c, days=d)
        for c, d in (("day1", 1), ("day3", 3), ("home", 7))
    ]
    items = [
        Item.objects.create(food_bank=fb, code=f"item{i}", name=f"品目{i}", weight_kg="0.500")
        for i in range(50)
    ]
    recipes = [PackRecipe.objects.create(pack_type=p, version=1) for p in packs]
    donor = Donor.objects.create(food_bank=fb, kind="company", name="ベンチ食品")
    account = CarrierAccount.objects.create(food_bank=fb, name="B2", carrier="yamato")
    user = django.contrib.auth.get_user_model().objects.create_user("bench-coordinator", password="x")  # noqa: S106
    grant_role(user=user, role=Role.COORDINATOR, organisation=fb)
    fbid, whid = fb.pk, wh.pk
    started = time.perf_counter()

    # Donation lots and their receipts at the warehouse.
    insert_series(
        Lot,
        lots,
        {
            "food_bank_id": str(fbid),
            "kind": "'donation'",
            "item_id": f"{items[0].pk} + g % 50",
            "best_before": "date '2026-06-01' + (g % 200)",
            "donor_id": str(donor.pk),
            "allergens": "'[\"wheat\"]'::jsonb",
        },
    )
    first_lot = Lot.objects.order_by("pk").values_list("pk", flat=True).first()
    movement = {"food_bank_id": str(fbid), "occurred_at": "now()", "recorded_at": "now()"}
    insert_series(
        StockMovement,
        0,
        {
            **movement,
            "site_id": str(whid),
            "item_id": "l.item_id",
            "best_before": "l.best_before",
            "lot_id": "l.id",
            "quantity": "400",
            "kind": "'receipt'",
            "occurred_at": "now()",
            "recorded_at": "now()",
        },
        source=f"inventory_lot l WHERE l.food_bank_id = {fbid}",
    )
    # One assembly per five lots, each consuming 40 units of four lots into a pack lot of 10 packs.
    assemblies = max(1, lots // 5)
    insert_series(
        Assembly,
        assemblies,
        {
            "food_bank_id": str(fbid),
            "site_id": str(whid),
            "pack_type_id": f"{packs[0].pk} + g % 3",
            "recipe_id": f"{recipes[0].pk} + g % 3",
            "quantity": "10",
            "best_before": "date '2026-06-01'",
            "occurred_at": WHEN,
        },
    )
    insert_series(
        Lot,
        0,
        {
            "food_bank_id": str(fbid),
            "kind": "'pack'",
            "pack_type_id": "a.pack_type_id",
            "best_before": "a.best_before",
            "assembly_id": "a.id",
            "allergens": "'[\"wheat\"]'::jsonb",
        },
        source=f"inventory_assembly a WHERE a.food_bank_id = {fbid}",
    )
    insert_series(
        StockMovement,
        0,
        {
            **movement,
            "site_id": str(whid),
            "item_id": "l.item_id",
            "best_before": "l.best_before",
            "lot_id": "l.id",
            "quantity": "-40",
            "kind": "'assembly_consume'",
            "assembly_id": "a.id",
            "occurred_at": "a.occurred_at",
            "recorded_at": "a.occurred_at",
        },
        source=(
            f"inventory_assembly a CROSS JOIN generate_series(0, 3) k JOIN inventory_lot l "
            f"ON l.id = {first_lot} + ((a.id * 4 + k) % {lots})"
        ),
    )
    insert_series(
        StockMovement,
        0,
        {
            **movement,
            "site_id": str(whid),
            "pack_type_id": "l.pack_type_id",
            "best_before": "l.best_before",
            "lot_id": "l.id",
            "quantity": "10",
            "kind": "'assembly_produce'",
            "assembly_id": "l.assembly_id",
        },
        source=f"inventory_lot l WHERE l.kind = 'pack' AND l.food_bank_id = {fbid}",
    )
    # Window sets go to three windows each (2 packs per window).
    insert_series(
        RestockShipment,
        0,
        {
            "food_bank_id": str(fbid),
            "from_site_id": str(whid),
            "to_site_id": f"{first_window} + ((l.id * 3 + k) % {windows})",
            "status": "'received'",
            "origin": "'nightly'",
            "dispatch_reference": "l.id::text",
        },
        source=(
            "inventory_lot l CROSS JOIN generate_series(0, 2) k "
            f"WHERE l.kind = 'pack' AND l.food_bank_id = {fbid} AND l.pack_type_id <> {packs[2].pk}"
        ),
    )
    for kind, sign, site_expr in (("transfer_out", -2, str(whid)), ("transfer_in", 2, "r.to_site_id")):
        insert_series(
            StockMovement,
            0,
            {
                **movement,
                "site_id": site_expr,
                "pack_type_id": "l.pack_type_id",
                "best_before": "l.best_before",
                "lot_id": "l.id",
                "quantity": str(sign),
                "kind": f"'{kind}'",
                "restock_id": "r.id",
                "reference": "'restock:' || r.id",
            },
            source="inventory_restockshipment r JOIN inventory_lot l ON l.id = r.dispatch_reference::bigint",
        )
    # Handouts: one set of a window pack lot each.
    window_packs = list(
        Lot.objects.filter(kind="pack").exclude(pack_type=packs[2]).values_list("pk", flat=True)
    )
    insert_series(
        Handout,
        handouts,
        {
            "food_bank_id": str(fbid),
            "site_id": f"{first_window} + g % {windows}",
            "household_size": "1",
            "household_type": "'single'",
            "occurred_at": WHEN,
            "recorded_at": WHEN,
        },
    )
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE window_packs (n int, lot_id bigint)")
        cursor.execute(
            "INSERT INTO window_packs SELECT row_number() OVER () - 1, unnest(%s::bigint[])", [window_packs]
        )
    insert_series(
        StockMovement,
        0,
        {
            **movement,
            "site_id": "h.site_id",
            "pack_type_id": "l.pack_type_id",
            "best_before": "l.best_before",
            "lot_id": "l.id",
            "quantity": "-1",
            "kind": "'handout'",
            "handout_id": "h.id",
            "occurred_at": "h.occurred_at",
            "recorded_at": "h.occurred_at",
        },
        source=(
            f"inventory_handout h JOIN window_packs p ON p.n = h.id % {len(window_packs)} "
            f"JOIN inventory_lot l ON l.id = p.lot_id"
        ),
    )
    # Parcels: one home pack each.
    insert_series(
        Parcel,
        parcels,
        {
            "food_bank_id": str(fbid),
            "account_id": str(account.pk),
            "reference": "'FB-' || g",
            "source": "'delivery_request'",
            "source_key": "'request:' || g",
            "recipient_name": "'ベンチ'",
            "ship_date": "date '2025-04-01' + g % 365",
            "status": "'delivered'",
        },
    )
    home_packs = list(Lot.objects.filter(kind="pack", pack_type=packs[2]).values_list("pk", flat=True))
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE home_packs (n int, lot_id bigint)")
        cursor.execute(
            "INSERT INTO home_packs SELECT row_number() OVER () - 1, unnest(%s::bigint[])", [home_packs]
        )
    insert_series(
        StockMovement,
        0,
        {
            **movement,
            "site_id": str(whid),
            "pack_type_id": "l.pack_type_id",
            "best_before": "l.best_before",
            "lot_id": "l.id",
            "quantity": "-1",
            "kind": "'parcel_packing'",
            "reference": "'parcel:' || p.reference",
            "occurred_at": "now()",
            "recorded_at": "now()",
        },
        source=(
            f"shipping_parcel p JOIN home_packs h ON h.n = p.id % {max(1, len(home_packs))} "
            f"JOIN inventory_lot l ON l.id = h.lot_id"
        ),
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    say(
        f"  {lots:,} lots, {assemblies:,} assemblies, {handouts:,} handouts, {parcels:,} parcels, "
        f"{StockMovement.objects.count():,} movements in {time.perf_counter() - started:.0f} s"
    )
    return {"user": user, "fb": fbid, "lots": [first_lot + lots // 2, first_lot + lots // 3, first_lot + 1]}


def measure(world: dict, repeat: int) -> int:
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from inventory.models import MovementKind, StockMovement
    from traceability.trace import trace

    client = Client(SERVER_NAME="localhost")
    client.force_login(world["user"])
    failures = 0
    for lot_id in world["lots"]:
        connection.close()
        times, counts = [], []
        for _ in range(repeat + 1):
            with CaptureQueriesContext(connection) as ctx:
                started = time.perf_counter()
                found = trace(food_bank_id=world["fb"], lot_ids=[lot_id])
                times.append(time.perf_counter() - started)
            counts.append(len(ctx.captured_queries))
        api_times, api_counts = [], []
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as ctx:
                started = time.perf_counter()
                response = client.get(f"/api/v1/recalls/trace/?lot={lot_id}")
                api_times.append(time.perf_counter() - started)
            api_counts.append(len(ctx.captured_queries))
            assert response.status_code == 200, response.content[:300]
        reset_queries()
        ids = list(found.trail.lots)
        handed = -sum(
            StockMovement.objects.filter(lot_id__in=ids, kind=MovementKind.HANDOUT).values_list(
                "quantity", flat=True
            )
        )
        packed = -sum(
            StockMovement.objects.filter(lot_id__in=ids, kind=MovementKind.PARCEL_PACKING).values_list(
                "quantity", flat=True
            )
        )
        ok = found.trail.handout_sets == handed and sum(p.quantity for p in found.parcels) == packed
        failures += not ok
        say(
            f"  lot {lot_id}: {len(ids)} lots, {found.trail.handout_sets} sets at "
            f"{len({h.site_id for h in found.trail.handouts})} windows, {len(found.parcels)} parcels | "
            f"trace cold {times[0] * 1000:.1f} ms, warm {statistics.median(times[1:]) * 1000:.1f} ms, "
            f"queries {sorted(set(counts))} | API warm {statistics.median(api_times) * 1000:.1f} ms, "
            f"queries {sorted(set(api_counts))} | {'equals the ledger' if ok else 'DIFFERS FROM THE LEDGER'}"
        )
    return failures


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lots", type=int, default=5000)
    parser.add_argument("--handouts", type=int, default=100_000)
    parser.add_argument("--parcels", type=int, default=30_000)
    parser.add_argument("--windows", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    recreate_database(os.environ["DATABASE_URL"])
    say("Recall trace benchmark (target: well under 1 s; queries independent of the data size)")
    world = seed(lots=args.lots, handouts=args.handouts, parcels=args.parcels, windows=args.windows)
    failures = measure(world, args.repeat)
    say("trace equals the ledger" if not failures else f"{failures} traces differ from the ledger")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
