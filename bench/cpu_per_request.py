#!/usr/bin/env python
"""CPU per request of the hot paths, in-process (docs/benchmarks.md).

    python bench/cpu_per_request.py handout|handout-nokey|dr-post|dr-get [--requests 300] [--profile 25]

Django's test client (the whole middleware chain, the same views) against PostgreSQL in one
process, outside any test transaction: ``time.process_time()`` and wall time over ``--requests``
requests after a warm-up. CPU time is what the 2-core machine runs out of at 16 clients, and it is
far less sensitive to other load on the machine than requests per second over HTTP. ``--profile N``
prints cProfile's top N functions by own time and by cumulative time instead of timing.

The database (``BENCH_DATABASE_URL``, default ``fb_cpu_bench``) is recreated and seeded as
``bench/handout_bench.py`` and ``bench/delivery_request_bench.py`` seed theirs. Prints figures only.
"""

import argparse
import cProfile
import json
import os
import pstats
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DATABASE_URL"] = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/fb_cpu_bench"
)
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
os.environ["DB_CONN_MAX_AGE"] = "600"
os.environ.pop("REDIS_URL", None)


def make_requests(path: str):
    """Seed the database and return a function sending request number ``n``."""
    from bench import handout_bench

    handout_bench.recreate_database(os.environ["DATABASE_URL"])
    if path in ("handout", "handout-nokey", "handout-floor"):
        seeded = handout_bench.seed(stock=10_000_000, drain=1, staff=1)
        from django.test import Client

        client = Client(HTTP_AUTHORIZATION=f"Token {seeded['tokens'][0]}", HTTP_HOST="127.0.0.1")
        body = handout_bench.handout_body(seeded["window"])

        if path == "handout-floor":

            def floor(n: int) -> None:
                response = client.post(
                    "/bench/floor/update/", json.dumps({"n": n}), content_type="application/json"
                )
                assert response.status_code == 201, response.content

            return floor

        def send(n: int) -> None:
            key = {} if path == "handout-nokey" else {"HTTP_IDEMPOTENCY_KEY": uuid.uuid4().hex}
            response = client.post(
                "/api/v1/handouts/", json.dumps(body(n)), content_type="application/json", **key
            )
            assert response.status_code == 201, response.content

        return send

    import django

    django.setup()
    from bench import delivery_request_bench as drb

    fixture = drb.prepare()
    from django.test import Client

    from foodbank import outbox

    # As a gunicorn worker (gunicorn.conf.py): the filing's announcement goes to the outbox's background
    # sender, a thread of this process, so its CPU is counted with the requests'.
    outbox.send_in_background()

    client = Client(HTTP_AUTHORIZATION=f"Token {fixture['token']}", HTTP_HOST="127.0.0.1")
    body = json.dumps(drb.request_body())

    def post(n: int) -> int:
        response = client.post(
            "/api/v1/delivery-requests/",
            body,
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
        )
        assert response.status_code == 201, response.content
        return response.json()["id"]

    if path == "dr-post":
        return post
    if path.startswith("dr-floor"):
        response = client.post("/bench/floor/", body, content_type="application/json")
        floor_pk = response.json()["id"]

        def floor(n: int) -> None:
            if path == "dr-floor-post":
                response = client.post("/bench/floor/", body, content_type="application/json")
                assert response.status_code == 201, response.content
            else:
                response = client.get(f"/bench/floor/{floor_pk}/")
                assert response.status_code == 200, response.content

        return floor
    pk = post(0)

    def get(n: int) -> None:
        response = client.get(f"/api/v1/delivery-requests/{pk}/")
        assert response.status_code == 200, response.content

    return get


def _backend_pid() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _cpu_of(pid: int) -> float:
    """User + system CPU seconds of a process on this machine (PostgreSQL's backend: /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "path",
        choices=[
            "handout",
            "handout-nokey",
            "handout-floor",
            "dr-post",
            "dr-get",
            "dr-floor-post",
            "dr-floor-get",
        ],
    )
    parser.add_argument("--callees", default="", help="with --profile: also the callees of these (regex)")
    parser.add_argument("--callers", default="", help="with --profile: also the callers of these (regex)")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", type=int, default=0, help="print the top N functions instead")
    options = parser.parse_args()
    send = make_requests(options.path)
    for n in range(30):  # warm-up: imports, caches, the token's last_used_at
        send(n)
    if options.profile:
        profiler = cProfile.Profile(time.process_time)  # CPU, not waiting on PostgreSQL
        profiler.enable()
        for n in range(options.requests):
            send(n)
        profiler.disable()
        stats = pstats.Stats(profiler).strip_dirs()
        for key in ("tottime", "cumulative"):
            stats.sort_stats(key).print_stats(options.profile)
        if options.callees:
            stats.sort_stats("cumulative").print_callees(options.callees)
        if options.callers:
            stats.sort_stats("cumulative").print_callers(options.callers)
        return 0
    backend = _backend_pid()
    from foodbank import outbox

    for _ in range(options.rounds):
        pg, cpu, wall = _cpu_of(backend), time.process_time(), time.perf_counter()
        for n in range(options.requests):
            send(n)
        if outbox._background_sender is not None:  # what the requests queued, sent within the round
            outbox._background_sender.wait_idle(timeout=60)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        pg = _cpu_of(backend) - pg
        n = options.requests
        print(
            f"{options.path}: {n} requests, CPU per request {1000 * cpu / n:.2f} ms (Python) + "
            f"{1000 * pg / n:.2f} ms (PostgreSQL backend) = {1000 * (cpu + pg) / n:.2f} ms; "
            f"wall {1000 * wall / n:.2f} ms",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
