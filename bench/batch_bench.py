#!/usr/bin/env python
"""Dispatch batch benchmark (SPEC §7): N parcels (default 10,000) from approved delivery requests
to a finished batch with every document, beside raw reportlab drawing N label pages in the same run,
and the number of database queries (which must not grow with the batch size).

    python bench/batch_bench.py [N] [--small 500]

It drops and creates its own PostgreSQL database (``BENCH_DATABASE_URL``, default
``postgres://postgres@127.0.0.1:5432/fb_shipping_bench``), migrates it, seeds one food bank with a
warehouse full of sets and N approved requests (one is filed through the services, the rest cloned
with bulk inserts: seeding is not timed), then runs every step of the batch in this process, one
after the other (plan, each chunk, each document) — what the workers do in parallel — and prints
wall time per step. A second, smaller batch (``--small``) is built the same way to compare query
counts: per step they are the same except one insert per 1,000 rows and a few queries per chunk.
Prints figures; never fails on time.
"""

import argparse
import os
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/fb_shipping_bench"


def _prepare_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("n", nargs="?", type=int, default=10_000)
    parser.add_argument("--small", type=int, default=500)
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB)
    _prepare_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ["CELERY_BROKER_URL"] = "memory://"  # the steps run here; enqueued messages are dropped
    os.environ.setdefault("MEDIA_ROOT", str(ROOT / "var" / "bench-media"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "foodbank.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    seed = _seed(args.n + args.small)
    from bench.label_floor import raw_reportlab_labels, time_labels
    from shipping.models import DispatchBatch, Parcel

    big = _run_batch(seed, n=args.n, name="large")
    small = _run_batch(seed, n=args.small, name="small")
    parcels = [p.as_data() for p in Parcel.objects.filter(batch_id=big["batch_id"]).order_by("pk")]
    account = DispatchBatch.objects.get(pk=big["batch_id"]).account.as_data()
    floor_wall, floor_cpu, _size = time_labels(raw_reportlab_labels, parcels, account.sender)

    print(f"\nDispatch batch of {args.n} parcels (all steps in one process, one after the other)")
    for step, seconds in big["times"].items():
        print(f"  {step:<22} {seconds:8.2f} s")
    total = sum(big["times"].values())
    docs = sum(v for k, v in big["times"].items() if k.startswith("document"))
    print(f"  {'total':<22} {total:8.2f} s")
    print(f"Raw reportlab, {args.n} label pages: {floor_wall:.2f} s wall ({floor_cpu:.2f} s CPU)")
    print(f"Documents / floor: {docs / floor_wall:.2f}×   whole batch / floor: {total / floor_wall:.2f}×")
    print("  (SPEC §7 target: within 2×; the documents are built in parallel, one task per kind,")
    print("   so the batch's wall time on several workers is about its longest document plus the chunks)")
    print(f"\nQueries by step: {args.n} parcels vs {args.small} parcels")
    for step in big["queries"]:
        print(f"  {step:<22} {big['queries'][step]:6d} {small['queries'].get(step, 0):6d}")
    per_chunk_big = big["queries"]["chunks"] / max(1, big["chunks"])
    per_chunk_small = small["queries"]["chunks"] / max(1, small["chunks"])
    chunks = f"({big['chunks']} vs {small['chunks']} chunks)"
    print(f"  per chunk              {per_chunk_big:6.1f} {per_chunk_small:6.1f}   {chunks}")


def _seed(n: int) -> dict:
    """A food bank with a stocked warehouse and ``n`` approved requests (cloned in bulk)."""
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from foodbank.models import Membership, Organisation, Role, Site
    from inventory import services as inv
    from inventory.models import MovementKind, ReasonCode
    from referrals import services as ref
    from referrals.models import ConsentRecord, DeliveryRequest, Recipient
    from shipping.models import CarrierAccount

    fb = Organisation.objects.create(code="fb", name="フードバンク北", kind="food_bank")
    agency = Organisation.objects.create(
        code="ag", name="小樽市社協", kind="social_welfare_council", food_bank=fb
    )
    warehouse = Site.objects.create(
        code="wh",
        food_bank=fb,
        organisation=fb,
        kind="warehouse",
        name="倉庫",
        postal_code="0650012",
        municipality="札幌市東区",
        address="北十二条東3丁目1-1",
    )
    users = get_user_model().objects
    coordinator = users.create_user("coord")
    case_worker = users.create_user("cw")
    Membership.objects.create(user=coordinator, role=Role.COORDINATOR, food_bank=fb, organisation=fb)
    Membership.objects.create(user=case_worker, role=Role.CASE_WORKER, food_bank=fb, organisation=agency)
    for code, name, days in (
        ("day1", "1日分セット", 1),
        ("day3", "3日分セット", 3),
        ("home", "家庭向けパック", 7),
    ):
        pack_type = inv.upsert_pack_type(food_bank=fb, code=code, name=name, days=days)
        for weeks in (4, 8):
            inv.record_adjustment(
                site=warehouse,
                pack_type=pack_type,
                best_before=timezone.localdate() + timedelta(weeks=weeks),
                quantity=n,
                reason=ReasonCode.FOUND,
                kind=MovementKind.ADJUSTMENT,
                recorded_by=coordinator,
            )
    from tests.referrals.factories import file_request

    template = file_request(case_worker, agency, days_needed=3)
    ref.approve_request(request_id=template.pk, by=coordinator)
    template = DeliveryRequest.objects.get(pk=template.pk)
    person = Recipient.objects.get(pk=template.recipient_id)
    consents = list(ConsentRecord.objects.filter(recipient=person))

    def clone(obj, **changes):
        data = {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields if not f.primary_key}
        data.update(changes)
        return type(obj)(**data)

    people = Recipient.objects.bulk_create([clone(person) for _ in range(n - 1)], batch_size=1000)
    ConsentRecord.objects.bulk_create(
        [clone(c, recipient_id=p.pk) for p in people for c in consents], batch_size=1000
    )
    fields = {f.name for f in DeliveryRequest._meta.concrete_fields}
    extra = {"reference": None} if "reference" in fields else {}
    requests = [clone(template, recipient_id=p.pk, **extra) for p in people]
    for i, r in enumerate(requests):
        for unique in ("client_reference", "application_id"):
            if unique in fields and getattr(template, unique):
                setattr(r, unique, f"{getattr(template, unique)}-{i}")
    DeliveryRequest.objects.bulk_create(requests, batch_size=1000)
    DeliveryRequest.objects.filter(food_bank=fb).update(approved_at=timezone.now() - timedelta(hours=1))
    account = CarrierAccount.objects.create(
        food_bank=fb,
        name="ヤマト",
        carrier="yamato",
        billing_customer_code="011234567801",
        freight_number="01",
        sender_name="SK物流センター",
        sender_phone="011-555-0100",
        sender_postal_code="0650012",
        sender_address="北海道札幌市東区北十二条東3丁目1-1",
        pickup_weekdays="0123456",
    )
    return {"food_bank": fb, "account": account}


def _run_batch(seed: dict, *, n: int, name: str) -> dict:
    """Open a batch taking the ``n`` oldest approved requests and run its steps, timing each."""
    from datetime import timedelta

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from referrals.models import DeliveryRequest
    from shipping import services
    from shipping.models import CarrierAccount, DispatchBatch

    account = CarrierAccount.objects.create(
        **{
            f.attname: getattr(seed["account"], f.attname)
            for f in CarrierAccount._meta.concrete_fields
            if not f.primary_key
        }
        | {"name": f"ヤマト {name}"}
    )
    waiting = list(
        DeliveryRequest.objects.filter(status="approved", batch_ref="")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    DeliveryRequest.objects.filter(pk__in=waiting[n:]).update(approved_at=timezone.now() + timedelta(days=1))
    batch, _ = services.open_batch(account_id=account.pk, ship_date=timezone.localdate())
    DispatchBatch.objects.filter(pk=batch.pk).update(cutoff_at=timezone.now())
    times, queries = {}, Counter()

    def step(label, key, fn):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            fn()
            times[label] = times.get(label, 0) + time.perf_counter() - started
        queries[key] += len(captured)

    step("plan (book parcels)", "plan", lambda: services.plan_batch(batch_id=batch.pk))
    batch = DispatchBatch.objects.get(pk=batch.pk)
    for index in range(batch.chunk_count):
        step(
            "chunks (reserve stock)",
            "chunks",
            lambda i=index: services.build_chunk(batch_id=batch.pk, index=i),
        )
    for kind in services.document_kinds(account):
        step(
            f"document {kind}",
            f"document {kind}",
            lambda k=kind: services.build_document(batch_id=batch.pk, kind=k),
        )
    batch = DispatchBatch.objects.get(pk=batch.pk)
    if batch.status != "ready" or batch.parcel_count != n:
        raise SystemExit(f"batch not finished: {batch.status}, {batch.parcel_count} parcels")
    DeliveryRequest.objects.filter(status="approved", batch_ref="").update(
        approved_at=timezone.now() - timedelta(hours=1)
    )
    return {"batch_id": batch.pk, "times": times, "queries": dict(queries), "chunks": batch.chunk_count}


if __name__ == "__main__":
    main()
