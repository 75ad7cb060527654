#!/usr/bin/env python
"""Handout logging over HTTP, beside a floor measured in the same run (docs/spec.md §7).

    python bench/handout_bench.py [--seconds 20] [--clients 16] [--port 8230]

What it does, in about two minutes:

1. drops and creates its own PostgreSQL database (``BENCH_DATABASE_URL``, default
   ``postgres://postgres@127.0.0.1:5432/fb_inventory_bench``), migrates it and seeds one food bank
   with a window holding plenty of 1-day and 3-day sets and a second window holding exactly
   ``--drain`` sets;
2. starts gunicorn (gthread workers unless ``--worker-class``) with ``bench.settings``, which adds
   ``POST /bench/floor/update/``: a bare DRF endpoint with the same token authentication that
   updates one row in a transaction;
3. runs ``--clients`` concurrent keep-alive HTTP clients against the floor, then against
   ``POST /api/v1/handouts/`` on ONE window (each with a fresh ``Idempotency-Key``; every 20th
   request is a retry of the previous one with the same key and body), and prints requests per
   second, p50 and p99 for both and their ratio (the target: at least 0.6 × the floor with a key);
   then one client alone against each (every handout new: no retries, whose replays are
   cheaper), for the single-client p50 (the target: at most 2 × the floor's);
4. drains the second window: all clients hand out until refused; exactly ``--drain`` must succeed;
   then counts the queries of one handout with a key, one without and one of the floor, in-process;
5. checks that no handout was lost (every 201 is in the database) or duplicated (retries replayed),
   that the window's stock went down by exactly the sets handed out, that no balance is negative
   and that every balance equals its ledger sum.

It prints figures and never fails on time; it exits 1 only when a correctness check fails.
"""

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/fb_inventory_bench"

os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB)
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
os.environ.setdefault("DB_CONN_MAX_AGE", "60")  # persistent connections, as in production
sys.path.insert(0, str(ROOT))


def say(message: str) -> None:
    print(message, flush=True)


def recreate_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def seed(*, stock: int, drain: int, staff: int) -> dict:
    """Migrate and create the network, users with tokens and stock; returns ids and tokens."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from bench.urls import UPDATE_FLOOR_TABLE as FLOOR_TABLE
    from foodbank import tokens as api_tokens
    from foodbank.models import Organisation, Role, Site
    from foodbank.services import grant_role, upsert_site
    from inventory import services
    from inventory.models import MovementKind, ReasonCode

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {FLOOR_TABLE} (id integer PRIMARY KEY, value bigint NOT NULL)")
        cursor.execute(f"INSERT INTO {FLOOR_TABLE} VALUES (1, 0)")  # noqa: S608  (a constant)
    fb = Organisation.objects.create(code="bench-fb", name="ベンチ", kind=Organisation.Kind.FOOD_BANK)
    agency = Organisation.objects.create(
        code="bench-agency", name="窓口機関", kind=Organisation.Kind.SOCIAL_WELFARE_COUNCIL, food_bank=fb
    )
    upsert_site(
        code="bench-wh",
        food_bank=fb,
        organisation=fb,
        kind=Site.Kind.WAREHOUSE,
        name="倉庫",
        postal_code="0650011",
        address="北11条東7丁目",
    )
    window = upsert_site(
        code="bench-window",
        food_bank=fb,
        organisation=agency,
        kind=Site.Kind.WINDOW,
        name="窓口",
        postal_code="0600042",
        address="大通西19丁目",
    )
    drain_window = upsert_site(
        code="bench-drain",
        food_bank=fb,
        organisation=agency,
        kind=Site.Kind.WINDOW,
        name="窓口2",
        postal_code="0470024",
        address="花園2丁目",
    )
    day1 = services.upsert_pack_type(food_bank=fb, code="day1", name="1日分セット", days=1)
    day3 = services.upsert_pack_type(food_bank=fb, code="day3", name="3日分セット", days=3)

    def put(site, pack_type, quantity, days):
        from datetime import timedelta

        from django.utils import timezone

        services.record_adjustment(
            site=site,
            pack_type=pack_type,
            quantity=quantity,
            reason=ReasonCode.FOUND,
            kind=MovementKind.ADJUSTMENT,
            recorded_by=None,
            best_before=timezone.localdate() + timedelta(days=days),
        )

    # Two lots of each, so that FEFO has a choice to make.
    for pack_type in (day1, day3):
        put(window, pack_type, stock // 2, 60)
        put(window, pack_type, stock - stock // 2, 200)
    put(drain_window, day1, drain, 90)

    from django.contrib.auth import get_user_model

    tokens = []
    for n in range(staff):
        user = get_user_model().objects.create_user(username=f"staff{n}", password=uuid.uuid4().hex)
        grant_role(user=user, role=Role.WINDOW_STAFF, organisation=agency, site=window)
        grant_role(user=user, role=Role.WINDOW_STAFF, organisation=agency, site=drain_window)
        tokens.append(api_tokens.issue_token(user=user, name="bench")[1])
    connection.close()
    return {
        "window": window.pk,
        "drain_window": drain_window.pk,
        "tokens": tokens,
        "day1": day1.pk,
        "day3": day3.pk,
    }


def start_gunicorn(port: int, workers: int, threads: int, worker_class: str = "gthread") -> subprocess.Popen:
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "foodbank.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--worker-class",
        worker_class,
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(argv, cwd=ROOT, env=os.environ.copy(), start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/v1/me/")
            conn.getresponse().read()
            return process
        except OSError:
            time.sleep(0.3)
    process.terminate()
    raise SystemExit("gunicorn did not start")


class Client(threading.Thread):
    """One keep-alive HTTP client posting until the deadline (or until refused, when draining)."""

    def __init__(
        self, *, port, token, path, make_body, deadline, use_keys=False, until_refused=False, retries=True
    ):
        super().__init__(daemon=True)
        self.port, self.token, self.path, self.make_body = port, token, path, make_body
        self.deadline, self.use_keys, self.until_refused = deadline, use_keys, until_refused
        self.retries = retries
        self.latencies: list[float] = []
        self.statuses: dict[int, int] = {}
        self.created: list[tuple[str, int]] = []  # (idempotency key, handout id) of first-time 201s
        self.replayed: list[tuple[str, int]] = []

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        previous = None
        n = 0
        while time.monotonic() < self.deadline:
            n += 1
            if self.use_keys and self.retries and previous is not None and n % 20 == 0:
                key, body = previous  # a retry of the previous request: same key, same body
            else:
                key, body = uuid.uuid4().hex, self.make_body(n)
            headers = {"Authorization": f"Token {self.token}", "Content-Type": "application/json"}
            if self.use_keys:
                headers["Idempotency-Key"] = key
            payload = json.dumps(body)
            started = time.perf_counter()
            try:
                conn.request("POST", self.path, payload, headers)
                response = conn.getresponse()
                data = response.read()
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                self.statuses[-1] = self.statuses.get(-1, 0) + 1
                continue
            self.latencies.append(time.perf_counter() - started)
            self.statuses[response.status] = self.statuses.get(response.status, 0) + 1
            if response.status == 201 and self.path != "/bench/floor/update/":
                record = (key if self.use_keys else None, json.loads(data)["id"])
                if response.getheader("Idempotent-Replayed") == "true":
                    self.replayed.append(record)
                else:
                    self.created.append(record)
                previous = (key, body)
            if response.status == 409 and self.until_refused:
                break
        conn.close()


def run_phase(
    *, port, tokens, path, make_body, seconds, clients, use_keys=False, until_refused=False, retries=True
):
    deadline = time.monotonic() + seconds
    threads = [
        Client(
            port=port,
            token=tokens[i % len(tokens)],
            path=path,
            make_body=make_body,
            deadline=deadline,
            use_keys=use_keys,
            retries=retries,
            until_refused=until_refused,
        )
        for i in range(clients)
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    latencies = sorted(x for t in threads for x in t.latencies)
    statuses: dict[int, int] = {}
    for thread in threads:
        for status, count in thread.statuses.items():
            statuses[status] = statuses.get(status, 0) + count
    return {
        "elapsed": elapsed,
        "requests": len(latencies),
        "rps": len(latencies) / elapsed if elapsed else 0.0,
        "p50": statistics.median(latencies) * 1000 if latencies else float("nan"),
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000
        if latencies
        else float("nan"),
        "statuses": statuses,
        "created": [r for t in threads for r in t.created],
        "replayed": [r for t in threads for r in t.replayed],
    }


def handout_body(site_id: int):
    shapes = [
        [{"pack_type": "day3", "quantity": 1}, {"pack_type": "day1", "quantity": 1}],  # 3 + 1 days
        [{"pack_type": "day3", "quantity": 1}],
        [{"pack_type": "day1", "quantity": 1}],
    ]

    def make(n: int) -> dict:
        return {
            "site": site_id,
            "lines": shapes[n % len(shapes)],
            "household": {"size": 1 + n % 4, "type": "single"},
            "referral_consent": n % 5 == 0,
            "note": "",
        }

    return make


def count_queries(seeded: dict) -> tuple[dict[str, int], dict]:
    """Queries per request through Django's test client (the same code path as gunicorn's), as
    Django logs them, and the handouts it recorded, as a phase for ``check``."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_AUTHORIZATION=f"Token {seeded['tokens'][0]}", HTTP_HOST="127.0.0.1")
    body = json.dumps(handout_body(seeded["window"])(0))
    client.get("/api/v1/me/")  # a new token records its first use once
    counted, created = {}, []
    for label, key in (("handout with key", uuid.uuid4().hex), ("handout without key", None)):
        headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
        with CaptureQueriesContext(connection) as queries:
            response = client.post("/api/v1/handouts/", body, content_type="application/json", **headers)
        assert response.status_code == 201, response.content
        counted[label] = len(queries)
        created.append((key, response.json()["id"]))
    with CaptureQueriesContext(connection) as queries:
        response = client.post("/bench/floor/update/", json.dumps({"n": 0}), content_type="application/json")
    assert response.status_code == 201, response.content
    counted["floor"] = len(queries)
    return counted, {"created": created, "replayed": []}


def check(*, seeded: dict, phases: list[dict], drain: dict, drain_size: int, stock: int) -> list[str]:
    """Correctness after the run; returns the failures (empty when all is well)."""
    from django.db.models import Q, Sum

    from inventory.models import Balance, Handout, HandoutLine
    from inventory.selectors import ledger_differences

    failures = []
    window = seeded["window"]
    answered = [record for phase in phases for record in phase["created"]]
    answered_ids = [handout_id for _key, handout_id in answered]
    keyed = {key: handout_id for key, handout_id in answered if key is not None}
    in_db = set(Handout.objects.filter(site_id=window).values_list("pk", flat=True))
    if len(set(answered_ids)) != len(answered_ids):
        failures.append("two requests were answered with the same new handout")
    if len(keyed) != len([1 for key, _id in answered if key is not None]):
        failures.append("an Idempotency-Key created two handouts")
    if set(answered_ids) != in_db:
        lost = set(answered_ids) - in_db
        extra = in_db - set(answered_ids)
        failures.append(
            f"handouts lost: {len(lost)}; recorded but never answered 201 (duplicates): {len(extra)}"
        )
    for phase in phases:
        for key, handout_id in phase["replayed"]:
            if keyed.get(key) != handout_id:
                failures.append(f"a retry with key {key} was answered with another handout")
                break
    sets = HandoutLine.objects.filter(handout__site_id=window).aggregate(s=Sum("quantity"))["s"] or 0
    left = Balance.objects.filter(site_id=window).aggregate(s=Sum("on_hand"))["s"]
    if left != 2 * stock - sets:
        failures.append(f"window stock {left} != {2 * stock} - {sets} sets handed out")
    drained = Handout.objects.filter(site_id=seeded["drain_window"]).count()
    drain_left = Balance.objects.filter(site_id=seeded["drain_window"]).aggregate(s=Sum("on_hand"))["s"]
    if drain["statuses"].get(201, 0) != drain_size or drained != drain_size or drain_left != 0:
        failures.append(
            f"drain: {drain['statuses'].get(201, 0)} answered 201, {drained} recorded, {drain_left} left "
            f"(expected {drain_size}, {drain_size}, 0)"
        )
    if Balance.objects.filter(Q(on_hand__lt=0) | Q(reserved__lt=0)).exists():
        failures.append("a balance is negative")
    differences = ledger_differences()
    if differences:
        failures.append(f"{len(differences)} balances differ from the ledger, e.g. {differences[0]}")
    return failures


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=15.0, help="length of each measured phase")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT", "8230")))
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument(
        "--worker-class", default="gthread", help="gunicorn worker class (gthread, sync; docs/benchmarks.md)"
    )
    parser.add_argument("--threads", type=int, default=8, help="threads per gunicorn worker")
    parser.add_argument("--drain", type=int, default=300, help="sets at the window that is drained")
    parser.add_argument("--single-seconds", type=float, default=6.0, help="length of each one-client phase")
    options = parser.parse_args()
    options.single_seconds = min(options.single_seconds, 20.0)  # bounded: the machine is shared
    stock = 1_000_000

    say(f"Database {os.environ['DATABASE_URL'].rsplit('@', 1)[-1]}: recreating, migrating, seeding…")
    recreate_database(os.environ["DATABASE_URL"])
    seeded = seed(stock=stock, drain=options.drain, staff=4)
    say(
        f"gunicorn on 127.0.0.1:{options.port}: {options.workers} workers × {options.threads} threads "
        f"({options.worker_class})"
    )
    server = start_gunicorn(options.port, options.workers, options.threads, options.worker_class)
    try:
        common = {"port": options.port, "tokens": seeded["tokens"], "clients": options.clients}
        floor_body = lambda n: {"n": n}  # noqa: E731
        handout_path, make_handout = "/api/v1/handouts/", handout_body(seeded["window"])
        say("Warming up…")
        run_phase(path="/bench/floor/update/", make_body=floor_body, seconds=2, **common)
        warm = run_phase(path=handout_path, make_body=make_handout, seconds=2, use_keys=True, **common)
        say(f"Measuring the floor for {options.seconds:.0f} s…")
        floor = run_phase(
            path="/bench/floor/update/", make_body=floor_body, seconds=options.seconds, **common
        )
        say(f"Measuring handouts with an Idempotency-Key for {options.seconds:.0f} s…")
        handouts = run_phase(
            path=handout_path, make_body=make_handout, seconds=options.seconds, use_keys=True, **common
        )
        say(f"Measuring handouts without a key for {options.seconds:.0f} s…")
        bare = run_phase(path=handout_path, make_body=make_handout, seconds=options.seconds, **common)
        # One client alone: the latency a window's staff see when the counter is quiet.
        alone = {**common, "clients": 1}
        say(
            f"Measuring one client alone, floor and handouts with a key, {options.single_seconds:.0f} s each…"
        )
        floor_alone = run_phase(
            path="/bench/floor/update/", make_body=floor_body, seconds=options.single_seconds, **alone
        )
        handouts_alone = run_phase(
            path=handout_path,
            make_body=make_handout,
            seconds=options.single_seconds,
            use_keys=True,
            retries=False,
            **alone,
        )
        say(f"Draining a window of {options.drain} sets…")
        drain_body = lambda n: {  # noqa: E731
            "site": seeded["drain_window"],
            "lines": [{"pack_type": "day1", "quantity": 1}],
            "household": {"size": 1, "type": "single"},
        }
        drain = run_phase(
            path="/api/v1/handouts/", make_body=drain_body, seconds=60, until_refused=True, **common
        )
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)

    ratio = handouts["rps"] / floor["rps"] if floor["rps"] else float("nan")
    bare_ratio = bare["rps"] / floor["rps"] if floor["rps"] else float("nan")
    p50_alone = handouts_alone["p50"] / floor_alone["p50"]
    say("")
    say(f"{'':24}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}   statuses")
    for label, r in (
        ("floor (1-row update)", floor),
        ("handouts, with key", handouts),
        ("handouts, no key", bare),
        ("floor, 1 client", floor_alone),
        ("handouts, key, 1 client", handouts_alone),
        ("drain (contended)", drain),
    ):
        statuses = dict(sorted(r["statuses"].items()))
        say(f"{label:24}{r['rps']:>10.1f}{r['p50']:>10.1f}{r['p99']:>10.1f}   {statuses}")
    say(f"handouts / floor throughput: {ratio:.2f} with Idempotency-Key, {bare_ratio:.2f} without")
    say(f"one client alone, handout's p50 / floor's p50: {p50_alone:.2f} with Idempotency-Key")
    say("(docs/spec.md §7 targets: at least 0.60 × the throughput with a key, and at most 2 × the p50")
    say(" with one client; figures only, never asserted)")
    say(f"retries replayed: {len(handouts['replayed'])}, first-time handouts: {len(handouts['created'])}")
    counted, counting = count_queries(seeded)
    say("\nDatabase queries per request, as Django logs them (counted in-process, the same code path):")
    for label, n in counted.items():
        say(f"  {label:<22}{n}")
    say(
        "  The token with the user's memberships, BEGIN, with a key the key's claim, the handout's one\n"
        "  statement (the lock, FEFO, the rows and, with a key, the key's completion) sent with the\n"
        "  COMMIT, and Django's COMMIT, which psycopg skips: round trips 4 with a key, 3 without\n"
        "  (tests/foodbank/test_transactions.py). The floor: the token, BEGIN, UPDATE, COMMIT."
    )

    failures = check(
        seeded=seeded,
        phases=[warm, handouts, bare, handouts_alone, counting],
        drain=drain,
        drain_size=options.drain,
        stock=stock,
    )
    if failures:
        for failure in failures:
            say(f"CHECK FAILED: {failure}")
        return 1
    say("Checks: no handout lost or duplicated, stock never negative, every balance equals its ledger sum.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
