#!/usr/bin/env python
"""Delivery request API benchmark (docs/spec.md §7: p99 under 50 ms at 16 concurrent clients).

Runs gunicorn against PostgreSQL in its own database (the name of DATABASE_URL's database with
``_bench`` appended, created and flushed here), then measures with 16 concurrent keep-alive clients:

- ``POST /api/v1/delivery-requests/`` (the docs/spec.md §4.1 body, each with a fresh Idempotency-Key) beside
  the floor: a bare DRF view with the same authentication that parses the same body and inserts one
  row in a transaction;
- ``GET /api/v1/delivery-requests/{id}/`` beside the floor: a bare DRF view reading one row by key;

then each of the four again with one client alone (``--single-seconds``), the latency a case worker
sees when the server is quiet;
and the number of database queries each takes (in-process, with Django's query capture). Prints
p50/p99/max latency and throughput; never passes or fails on time. Bounded: about a minute and a
quarter.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fb_requests \\
        python bench/delivery_request_bench.py [--seconds 8] [--clients 16] [--port 8250]

``BENCH_DATABASE_URL``, when set, names the database to use instead. Exits 1 when any request
failed (``tests/test_benchmarks.py`` runs it at smoke size in CI, so it cannot rot).
"""

import argparse
import http.client
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent


def bench_database_url(url: str) -> str:
    parts = urlsplit(url)
    if not parts.scheme.startswith("postgres"):
        sys.exit("The benchmark needs PostgreSQL: set DATABASE_URL=postgres://…")
    name = parts.path.lstrip("/") + "_bench"
    return urlunsplit(parts._replace(path="/" + name))


def ensure_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(url: str, var_dir: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ["DATABASE_URL"] = url
    os.environ["VAR_DIR"] = var_dir
    os.environ.pop("REDIS_URL", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def prepare() -> dict:
    """Migrate, empty, create the tenant, a case worker and the floor table; return tokens."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    from bench.urls import FLOOR_TABLE_SQL
    from foodbank import tokens
    from foodbank.models import Organisation, Role
    from foodbank.services import grant_role

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(FLOOR_TABLE_SQL)
        cursor.execute("TRUNCATE bench_floor RESTART IDENTITY")
    food_bank = Organisation.objects.create(code="bench-fb", name="ベンチ フードバンク", kind="food_bank")
    agency = Organisation.objects.create(
        code="bench-agency", name="ベンチ 社協", kind="social_welfare_council", food_bank=food_bank
    )
    worker = get_user_model().objects.create_user(username="bench_caseworker")
    grant_role(user=worker, role=Role.CASE_WORKER, organisation=agency)
    _, key = tokens.issue_token(user=worker, name="bench")
    return {"token": key, "user_id": worker.pk}


def request_body() -> dict:
    return {
        "recipient": {
            "name": "山田 花子",
            "name_kana": "ヤマダ ハナコ",
            "phone": "090-1234-5678",
            "postal_code": "047-0024",
            "address": "花園2丁目6-7",
            "building": "花園ハイツ101",
        },
        "household": {
            "adults": 1,
            "children": 2,
            "children_ages": [4, 9],
            "infants": 1,
            "type": "single_parent",
        },
        "situation": {"category": "welfare_pending", "note": "生活保護申請中、初回支給まで2週間"},
        "days_needed": 7,
        "cooking": {"electricity": True, "water": True, "microwave": True},
        "dietary": {"allergies": "えび・かに", "note": "たんぱく質多めに"},
        "extras": [{"item": "diapers", "size": "M", "quantity": 1}],
        "time_slot": "1416",
        "consent": {"share_with_foodbank": True, "referral": True},
    }


def count_queries(token_key: str, user_id: int) -> dict[str, int]:
    """Queries per request of each endpoint, through Django's test client (same code path)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from foodbank import outbox

    # As in a gunicorn worker (gunicorn.conf.py): the announcement after commit goes to the outbox's
    # background sender, whose queries (a claim and a mark per batch) are its own connection's.
    sender = outbox.send_in_background()
    client = Client(HTTP_AUTHORIZATION=f"Token {token_key}", HTTP_HOST="127.0.0.1")
    body = json.dumps(request_body())
    out = {}
    # The token's first use records its last use (then at most once a while): not a request's own.
    assert client.get("/api/v1/me/").status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        r = client.post(
            "/api/v1/delivery-requests/",
            body,
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
        )
    assert r.status_code == 201, r.content
    out["POST delivery request"] = len(ctx)
    assert sender is not None
    assert sender.wait_idle(timeout=30)
    pk = r.json()["id"]
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(f"/api/v1/delivery-requests/{pk}/").status_code == 200
    out["GET delivery request"] = len(ctx)
    with CaptureQueriesContext(connection) as ctx:
        r = client.post("/bench/floor/", body, content_type="application/json")
    out["POST floor"] = len(ctx)
    with CaptureQueriesContext(connection) as ctx:
        client.get(f"/bench/floor/{r.json()['id']}/")
    out["GET floor"] = len(ctx)
    return out


class Load:
    """N threads, each with its own keep-alive connection, sending requests for ``seconds``, and each
    at least ``MIN_REQUESTS`` (a phase of a smoke run on a slow machine may otherwise end after one
    request, and a percentile needs two)."""

    MIN_REQUESTS = 3

    def __init__(self, *, port: int, token: str, clients: int, seconds: float) -> None:
        self.port, self.token, self.clients, self.seconds = port, token, clients, seconds

    def run(self, make_request) -> dict:
        latencies: list[float] = []
        errors: list[str] = []
        ids: list[int] = []
        lock = threading.Lock()
        start_gate = threading.Barrier(self.clients + 1)
        deadline = [0.0]

        def worker(seed: int) -> None:
            rnd = random.Random(seed)
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            mine, my_errors, my_ids = [], [], []
            start_gate.wait()
            sent = 0
            while time.perf_counter() < deadline[0] or sent < self.MIN_REQUESTS:
                sent += 1
                method, path, body, headers = make_request(rnd)
                headers = {"Authorization": f"Token {self.token}", **headers}
                t0 = time.perf_counter()
                try:
                    conn.request(method, path, body=body, headers=headers)
                    response = conn.getresponse()
                    payload = response.read()
                except (OSError, http.client.HTTPException) as exc:
                    my_errors.append(type(exc).__name__)
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                    continue
                mine.append(time.perf_counter() - t0)
                if response.status >= 400:
                    my_errors.append(str(response.status))
                elif method == "POST":
                    my_ids.append(json.loads(payload)["id"])
            conn.close()
            with lock:
                latencies.extend(mine)
                errors.extend(my_errors)
                ids.extend(my_ids)

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(self.clients)]
        for t in threads:
            t.start()
        deadline[0] = time.perf_counter() + self.seconds
        t_start = time.perf_counter()
        start_gate.wait()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - t_start
        return {"latencies": latencies, "errors": errors, "ids": ids, "elapsed": elapsed}


def summarise(name: str, result: dict) -> dict:
    lat = sorted(result["latencies"])
    if not lat:
        return {"name": name, "n": 0}
    q = statistics.quantiles(lat, n=100, method="inclusive")
    return {
        "name": name,
        "n": len(lat),
        "rps": len(lat) / result["elapsed"],
        "p50": q[49] * 1000,
        "p99": q[98] * 1000,
        "max": lat[-1] * 1000,
        "errors": len(result["errors"]),
    }


def start_gunicorn(
    *, url: str, port: int, var_dir: str, workers: int, threads: int, worker_class: str = "gthread"
) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": url,
        "VAR_DIR": var_dir,
        "DB_CONN_MAX_AGE": "600",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("REDIS_URL", None)
    gunicorn = Path(sys.executable).with_name("gunicorn")
    argv = [
        str(gunicorn),
        "foodbank.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--worker-class",
        worker_class,
        "--keep-alive",
        "30",
        "--log-level",
        "warning",
        "--chdir",
        str(ROOT),
    ]
    return subprocess.Popen(argv, env=env, cwd=ROOT, start_new_session=True)


def wait_ready(port: int, token: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/v1/me/", headers={"Authorization": f"Token {token}"})
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    sys.exit("gunicorn did not start")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=8.0, help="per measured phase (4 phases)")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--port", type=int, default=8250)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument(
        "--worker-class", default="gthread", help="gunicorn worker class (gthread, sync; docs/benchmarks.md)"
    )
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument(
        "--single-seconds", type=float, default=4.0, help="per phase with one client alone (4 phases)"
    )
    args = parser.parse_args()
    args.seconds = min(args.seconds, 20.0)  # bounded: the machine is shared
    args.single_seconds = min(args.single_seconds, 20.0)

    url = os.environ.get("BENCH_DATABASE_URL") or bench_database_url(os.environ.get("DATABASE_URL", ""))
    ensure_database(url)
    var_dir = tempfile.mkdtemp(prefix="foodbank-bench-")
    setup_django(url, var_dir)
    fixture = prepare()
    token = fixture["token"]
    queries = count_queries(token, fixture["user_id"])

    server = start_gunicorn(
        url=url,
        port=args.port,
        var_dir=var_dir,
        workers=args.workers,
        threads=args.threads,
        worker_class=args.worker_class,
    )
    try:
        wait_ready(args.port, token)
        load = Load(port=args.port, token=token, clients=args.clients, seconds=args.seconds)
        body = json.dumps(request_body(), ensure_ascii=False).encode()
        json_headers = {"Content-Type": "application/json"}

        def post_product(rnd):
            return (
                "POST",
                "/api/v1/delivery-requests/",
                body,
                {**json_headers, "Idempotency-Key": uuid.uuid4().hex},
            )

        def post_floor(rnd):
            return "POST", "/bench/floor/", body, json_headers

        # Warm up every worker's connections and caches (not measured).
        Load(port=args.port, token=token, clients=args.clients, seconds=2).run(post_product)

        results = []
        floor_post = load.run(post_floor)
        results.append(summarise("POST floor (bare DRF, 1 insert)", floor_post))
        product_post = load.run(post_product)
        results.append(summarise("POST /api/v1/delivery-requests/", product_post))

        floor_ids, product_ids = floor_post["ids"], product_post["ids"]

        def get_floor(rnd):
            return "GET", f"/bench/floor/{rnd.choice(floor_ids)}/", None, {}

        def get_product(rnd):
            return "GET", f"/api/v1/delivery-requests/{rnd.choice(product_ids)}/", None, {}

        results.append(summarise("GET floor (bare DRF, 1 select)", load.run(get_floor)))
        results.append(summarise("GET /api/v1/delivery-requests/{id}/", load.run(get_product)))
        alone = Load(port=args.port, token=token, clients=1, seconds=args.single_seconds)
        singles = [
            summarise(name, alone.run(make))
            for name, make in (
                ("POST floor, 1 client", post_floor),
                ("POST delivery request, 1 client", post_product),
                ("GET floor, 1 client", get_floor),
                ("GET delivery request, 1 client", get_product),
            )
        ]
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # each worker sends what it has queued, then exits
        server.wait(timeout=30)
    announcements = outbox_summary()

    print(
        f"\nDelivery request API, {args.clients} concurrent clients, {args.seconds:.0f} s per phase "
        f"(then one client alone, {args.single_seconds:g} s per phase), "
        f"gunicorn {args.workers}×{args.threads} {args.worker_class}, "
        f"PostgreSQL ({urlsplit(url).path.lstrip('/')})"
    )
    columns = ("requests", "req/s", "p50 ms", "p99 ms", "max ms")
    print(f"{'endpoint':<40} " + " ".join(f"{c:>8}" for c in columns) + f" {'errors':>7}")
    for r in results + singles:
        if not r["n"]:
            print(f"{r['name']:<40} no requests completed")
            continue
        print(
            f"{r['name']:<40} {r['n']:>8} {r['rps']:>8.0f} {r['p50']:>8.1f} {r['p99']:>8.1f} "
            f"{r['max']:>8.1f} {r['errors']:>7}"
        )
    for floor, product in ((results[0], results[1]), (results[2], results[3])):
        if floor["n"] and product["n"]:
            print(
                f"  {product['name']}: {product['rps'] / floor['rps']:.2f}× the floor's throughput, "
                f"p99 {product['p99'] / floor['p99']:.1f}× the floor's"
            )
    for floor, product in ((singles[0], singles[1]), (singles[2], singles[3])):
        if floor["n"] and product["n"]:
            print(f"  {product['name']}: p50 {product['p50'] / floor['p50']:.1f}× the floor's")
    print("\nDatabase queries per request (constant; counted in-process with the same code path):")
    for name, n in queries.items():
        print(f"  {name:<24} {n}  {QUERIES_EXPLAINED[name]}")
    print(
        f"\nAnnouncements (outbox messages of the filings, sent by each web process's background "
        f"sender): {announcements['messages']} written, {announcements['unsent']} unsent after the "
        f"server stopped, sent in {announcements['batches']} batches "
        f"({announcements['messages'] / max(announcements['batches'], 1):.1f} a batch)"
    )
    print("\nTarget (docs/spec.md §7): p99 under 50 ms at 16 concurrent clients. Figures only; no pass/fail.")
    errors = sum(r["errors"] for r in results + singles)
    if errors or not all(r["n"] for r in results + singles):
        print(f"CHECK FAILED: {errors} requests answered with an error, or a phase completed none")
        return 1
    if announcements["unsent"]:
        print(f"CHECK FAILED: {announcements['unsent']} outbox messages were never sent")
        return 1
    return 0


QUERIES_EXPLAINED = {
    "POST delivery request": (
        "the token with its user and memberships; BEGIN; the Idempotency-Key's claim; the filing's "
        "one statement (recipient, request, event, outbox message, consents, audit row, the key's "
        "completion); COMMIT, sent with the filing in one round trip. The outbox's background sender "
        "adds a claim and a mark per batch."
    ),
    "GET delivery request": (
        "the token; the request with its history (four queries in one round trip); the audit row of the view"
    ),
    "POST floor": "the token; BEGIN; one INSERT; COMMIT",
    "GET floor": "the token; one SELECT",
}


def outbox_summary() -> dict[str, int]:
    """The filings' outbox messages once the server has stopped: how many, how many unsent, and in
    how many batches they went (a batch's messages are marked sent with one timestamp)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), count(*) FILTER (WHERE sent_at IS NULL), count(DISTINCT sent_at) "
            "FROM foodbank_outboxmessage"
        )
        messages, unsent, batches = cursor.fetchone()
    return {"messages": messages, "unsent": unsent, "batches": batches}


if __name__ == "__main__":
    sys.exit(main())
