#!/usr/bin/env python
"""The monthly report at network scale, beside the 1-second target (docs/spec.md §7).

    python bench/report_bench.py [--handouts 5000000] [--parcels 1000000] [--windows 60] [--repeat 5]

What it does:

1. drops and creates its own PostgreSQL database (``BENCH_DATABASE_URL``, default
   ``postgres://postgres@127.0.0.1:5432/fb_reports_bench``) and migrates it;
2. generates, in PostgreSQL with ``generate_series`` (no rows pass through Python), one food bank
   with ``--windows`` windows, ``--handouts`` handouts over five fiscal years (FY2020–FY2024, April,
   August and December heavier, one in two a 3-day + 1-day handout, 1 in 200 voided) with their
   lines, and ``--parcels`` shipped home parcels (agency, Navi and programme) over the same years.
   All of it belongs to the one food bank the report is asked for: the worst case;
3. builds the daily roll-up (``reports.services.refresh_rollups``, what the beat task does);
4. times ``GET /api/v1/reports/monthly/?fiscal_year=2024`` (in process, through the whole Django
   and DRF stack) cold (first request on a new connection after the roll-up) and warm (median of
   ``--repeat``), the breakdowns endpoint the same way, and the same monthly report computed live
   from the source tables without the roll-up (what the roll-up saves), and prints each beside the
   1-second target;
5. checks that the rolled-up report equals the live one (exit 1 if not).

It prints figures and never fails on time. Sizes are arguments so it can run in a bounded time on a
small machine; the printed row counts say what was measured.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/fb_reports_bench"
sys.path.insert(0, str(ROOT))
os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB)
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"


def say(message: str) -> None:
    print(message, flush=True)


def recreate_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def insert_series(model, count: int, exprs: dict[str, str], *, source: str | None = None) -> None:
    """INSERT INTO model's table one row per ``g`` in 1..count (or per row of ``source``): columns in
    ``exprs`` take those SQL expressions, every other column its Python default as a parameter."""
    from django.db import connection

    columns, values, params = [], [], []
    for f in model._meta.concrete_fields:
        if f.primary_key:
            continue
        columns.append(connection.ops.quote_name(f.column))
        if f.column in exprs:
            values.append(exprs[f.column].replace("%", "%%"))
        elif getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            values.append("now()")
        else:
            default = f.get_default() if f.has_default() else (None if f.null else "")
            values.append("%s")
            params.append(f.get_db_prep_save(default, connection))
    missing = set(exprs) - {f.column for f in model._meta.concrete_fields}
    assert not missing, missing
    source = (source or f"generate_series(1, {int(count)}) AS g").replace("%", "%%")
    sql = (
        f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) SELECT {', '.join(values)} FROM {source}"  # noqa: S608 - fixed column names and expressions of this script
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


# A timestamp over FY2020–FY2024 (1,826 days from 1 April 2020 JST) for row g: uniform, except that
# one row in four is moved into April, August or December of its year (the holiday peaks).
WHEN = """(
  timestamptz '2020-04-01 00:00+09'
  + (((g::bigint * 7919) % 1826)::int * interval '1 day')
  + (((g::bigint * 104729) % 36000)::int * interval '1 second') + interval '8 hours'
  - CASE WHEN g % 4 = 0 THEN (((g::bigint * 7919) % 1826)::int % 28) * interval '1 day' ELSE interval '0' END
)"""


def seed(*, handouts: int, parcels: int, windows: int) -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from foodbank.models import Organisation, Site
    from inventory.models import Handout, HandoutLine, PackType
    from referrals.models import DeliveryRequest, Recipient

    call_command("migrate", verbosity=0)
    fb = Organisation.objects.create(name="ベンチ食料銀行", kind=Organisation.Kind.FOOD_BANK, code="bench-fb")
    agency = Organisation.objects.create(
        name="ベンチ社協", kind=Organisation.Kind.SOCIAL_WELFARE_COUNCIL, code="bench-agency", food_bank=fb
    )
    Site.objects.create(
        food_bank=fb,
        organisation=fb,
        kind=Site.Kind.WAREHOUSE,
        name="倉庫",
        postal_code="0650011",
        municipality="札幌市東区",
        address="1",
        code="bench-wh",
    )
    sites = [
        Site.objects.create(
            food_bank=fb,
            organisation=agency,
            kind=Site.Kind.WINDOW,
            name=f"窓口{i}",
            postal_code="0470024",
            municipality=f"町{i % 40}",
            regional_bureau="shiribeshi",
            address="1",
            code=f"bench-w{i}",
        )
        for i in range(windows)
    ]
    day1 = PackType.objects.create(food_bank=fb, code="day1", name="1日分", days=1)
    day3 = PackType.objects.create(food_bank=fb, code="day3", name="3日分", days=3)
    PackType.objects.create(food_bank=fb, code="home", name="家庭向け", days=7)
    first_site = sites[0].pk
    types = "(ARRAY['single','single_parent','couple','family','elderly','other'])"

    started = time.perf_counter()
    insert_series(
        Handout,
        handouts,
        {
            "food_bank_id": str(fb.pk),
            "site_id": f"{first_site} + (g % {windows})",
            "household_size": "1 + g % 4",
            "household_type": f"{types}[1 + g % 6]",
            "occurred_at": WHEN,
            "recorded_at": WHEN,
            "voided_at": f"CASE WHEN g % 200 = 0 THEN {WHEN} + interval '1 hour' END",
        },
    )
    first_handout = Handout.objects.order_by("pk").values_list("pk", flat=True).first()
    # Every handout a 3-day set; every other one also a 1-day set (two sets, one visit).
    insert_series(
        HandoutLine,
        0,
        {"handout_id": "h.id", "pack_type_id": str(day3.pk), "quantity": "1"},
        source=f"inventory_handout h WHERE h.id >= {first_handout}",
    )
    insert_series(
        HandoutLine,
        0,
        {"handout_id": "h.id", "pack_type_id": str(day1.pk), "quantity": "1"},
        source=f"inventory_handout h WHERE h.id >= {first_handout} AND h.id % 2 = 0",
    )
    say(f"  handouts: {handouts:,} with lines in {time.perf_counter() - started:.0f} s")

    started = time.perf_counter()
    recipients = max(1, parcels // 10)
    insert_series(
        Recipient,
        recipients,
        {
            "food_bank_id": str(fb.pk),
            "agency_id": str(agency.pk),
            "name": "'ベンチ'",
            "household_type": f"{types}[1 + g % 6]",
            "municipality": "'町' || (g % 40)",
            "regional_bureau": "'shiribeshi'",
            "adults": "1",
        },
    )
    first_recipient = Recipient.objects.order_by("pk").values_list("pk", flat=True).first()
    insert_series(
        DeliveryRequest,
        parcels,
        {
            "food_bank_id": str(fb.pk),
            "source": "(ARRAY['agency','agency','navi','programme'])[1 + g % 4]",
            "agency_id": f"CASE WHEN g % 4 = 2 THEN NULL ELSE {agency.pk} END",
            "recipient_id": f"{first_recipient} + (g % {recipients})",
            "situation_category": "(ARRAY['welfare_pending','wage_gap','pension_gap','job_loss'])[1 + g % 4]",
            "status": "'delivered'",
            "submitted_at": WHEN,
            "status_changed_at": WHEN,
            "shipped_at": WHEN,
            "delivered_at": WHEN,
        },
    )
    say(f"  parcels: {parcels:,} ({recipients:,} recipients) in {time.perf_counter() - started:.0f} s")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return fb.pk


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--handouts", type=int, default=5_000_000)
    parser.add_argument("--parcels", type=int, default=1_000_000)
    parser.add_argument("--windows", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    say(f"Creating {os.environ['DATABASE_URL']} …")
    recreate_database(os.environ["DATABASE_URL"])
    fb_id = seed(handouts=args.handouts, parcels=args.parcels, windows=args.windows)

    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    from foodbank.models import Organisation, Role
    from foodbank.services import grant_role
    from reports import selectors, services
    from reports.models import HandoutDay, ParcelDay

    user = get_user_model().objects.create_user(username="bench-coordinator")
    grant_role(user=user, role=Role.COORDINATOR, organisation=Organisation.objects.get(pk=fb_id))

    seconds = timed(services.refresh_rollups)
    say(
        f"  roll-up built in {seconds:.0f} s: {HandoutDay.objects.count():,} handout-day rows, "
        f"{ParcelDay.objects.count():,} parcel-day rows"
    )

    client = Client(HTTP_HOST="localhost")
    client.force_login(user)

    def get(path):
        response = client.get(path, {"fiscal_year": 2024})
        assert response.status_code == 200, response.status_code
        return response

    # Load the URLconf, DRF and the catalogues once, so "cold" measures the report, not imports.
    assert client.get("/api/v1/me/").status_code == 200
    results = []
    for label, path in (
        ("monthly report", "/api/v1/reports/monthly/"),
        ("breakdowns", "/api/v1/reports/breakdowns/"),
    ):
        connection.close()  # cold: a new database connection, nothing cached in this process
        cold = timed(lambda p=path: get(p))
        warm = statistics.median(timed(lambda p=path: get(p)) for _ in range(args.repeat))
        results.append((label + " (roll-up)", cold, warm))

    ids = [fb_id]
    rolled = selectors.monthly_report(ids, 2024)
    # The same report with nothing rolled up: every day counted from the source tables.
    original = selectors.rolled_up_before
    selectors.rolled_up_before = lambda: None
    try:
        connection.close()
        live_cold = timed(lambda: selectors.monthly_report(ids, 2024))
        live = selectors.monthly_report(ids, 2024)
    finally:
        selectors.rolled_up_before = original
    results.append(("monthly report, live (no roll-up)", live_cold, live_cold))

    say("")
    say(f"{args.handouts:,} handouts, {args.parcels:,} parcels, {args.windows} windows, one food bank")
    say(f"{'':38} {'cold':>8} {'warm':>8}   target")
    for label, cold, warm in results:
        say(f"{label:38} {cold * 1000:7.0f}ms {warm * 1000:7.0f}ms   1000 ms")
    total = rolled["totals"]
    say(
        f"FY2024: {total['window_visits']:,} handouts, {total['window_handouts']:,} sets, "
        f"{total['agency_parcels'] + total['navi_parcels']:,} parcels"
    )
    if rolled != live:
        say("MISMATCH: the rolled-up report differs from the live count")
        return 1
    say("rolled-up report equals the live count: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
