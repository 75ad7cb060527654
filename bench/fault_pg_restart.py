#!/usr/bin/env python
"""Fault: PostgreSQL is restarted while window staff log handouts over HTTP.

Starts a PRIVATE PostgreSQL cluster (initdb in a temporary directory as the postgres user, its own
port; the machine's PostgreSQL is never touched), migrates a database there, seeds a window with
stock, and runs gunicorn (persistent connections with health checks, as in production) against it.
Several client threads log handouts (each with its own Idempotency-Key); after ``--restart-after``
seconds the cluster is restarted (``pg_ctl restart -m fast``: in-flight transactions rolled back,
every connection cut). A client answered 503 waits for Retry-After and retries with the same key,
as an integrator should. Counts:

- answers: 201, 503 (each must carry Retry-After and the JSON ``service_unavailable`` code), any
  other (a 500 is a failure), and 503s more than ``--grace`` seconds after the restart finished;
- lost: keys answered 201 without a handout; duplicated: handouts beyond one per key;
- half-written: handouts without lines or movements, and the stock ledger against the balances.

Exits 1 on a 500, a late 503, loss, duplication or a ledger difference.

    python bench/fault_pg_restart.py [--seconds 8] [--clients 6] [--restart-after 3]
"""

import argparse
import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.faults import ROOT, PrivatePostgres, figures, free_port, say, setup_django


def seed(stock: int) -> dict:
    from foodbank import tokens
    from foodbank.models import Role
    from foodbank.services import grant_role
    from tests.factories import FoodBankFactory, OrganisationFactory, SiteFactory, UserFactory
    from tests.inventory.factories import PackTypeFactory
    from tests.inventory.helpers import put_stock

    fb = FoodBankFactory(code="fault-fb", name="フードバンク北")
    agency = OrganisationFactory(code="fault-agency", food_bank=fb, name="小樽市社協")
    window = SiteFactory(code="fault-win", organisation=agency, food_bank=fb, name="小樽窓口")
    staff = UserFactory(username="fault-window")
    grant_role(user=staff, role=Role.WINDOW_STAFF, organisation=agency, site=window)
    for code, days in (("day1", 1), ("day3", 3)):
        pack_type = PackTypeFactory(food_bank=fb, code=code, name=code, days=days)
        put_stock(window, pack_type=pack_type, quantity=stock)
    _token, key = tokens.issue_token(user=staff, name="fault")
    return {"food_bank": fb.pk, "window": window.pk, "token": key}


def start_gunicorn(port: int, env: dict) -> subprocess.Popen:
    argv = [
        sys.executable, "-m", "gunicorn", "foodbank.wsgi:application",
        "--bind", f"127.0.0.1:{port}", "--worker-class", "gthread", "--workers", "2", "--threads", "4",
        "--log-level", "warning",
    ]  # fmt: skip
    process = subprocess.Popen(argv, cwd=ROOT, env=env, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            return process
        except OSError:
            time.sleep(0.3)
    os.killpg(process.pid, signal.SIGTERM)
    raise SystemExit("gunicorn did not start")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="how long the clients log handouts")
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--restart-after", type=float, default=3.0)
    parser.add_argument("--grace", type=float, default=2.0, help="503s allowed this long after the restart")
    args = parser.parse_args()

    pg = PrivatePostgres().start()
    say(f"PostgreSQL restarted under load: private cluster on port {pg.port} ({pg.dir})")
    server = None
    try:
        url = pg.create_database("faults")
        setup_django(database_url=url)
        ids = seed(stock=100_000)
        port = free_port()
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "foodbank.settings",
            "DATABASE_URL": url,
            "DB_CONN_MAX_AGE": "60",
            "PYTHONPATH": str(ROOT),
        }
        server = start_gunicorn(port, env)
        body = json.dumps(
            {
                "site": ids["window"],
                "lines": [{"pack_type": "day3", "quantity": 1}, {"pack_type": "day1", "quantity": 1}],
                "household": {"size": 2, "type": "single_parent"},
            }
        )
        answers: Counter = Counter()
        answered_201: set[str] = set()
        late_503: list[float] = []
        bad_503: list[str] = []
        restart = {"started": None, "finished": None}
        stop_at = time.monotonic() + args.seconds
        lock = threading.Lock()

        def client() -> None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            key = str(uuid.uuid4())
            while time.monotonic() < stop_at:
                try:
                    conn.request(
                        "POST",
                        "/api/v1/handouts/",
                        body=body,
                        headers={
                            "Authorization": f"Token {ids['token']}",
                            "Content-Type": "application/json",
                            "Idempotency-Key": key,
                        },
                    )
                    response = conn.getresponse()
                    payload = response.read()
                    status = response.status
                except (OSError, http.client.HTTPException) as exc:
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                    status = type(exc).__name__
                    payload = b""
                    response = None
                with lock:
                    answers[status] += 1
                    if status == 201:
                        answered_201.add(key)
                    if status == 503:
                        finished = restart["finished"]
                        if finished is not None and time.monotonic() - finished > args.grace:
                            late_503.append(round(time.monotonic() - finished, 2))
                        ok = response.getheader("Retry-After") and b"service_unavailable" in payload
                        if not ok:
                            bad_503.append(payload[:200].decode(errors="replace"))
                if status == 503:
                    # Retry the same key after Retry-After (shortened here), as an integrator should.
                    time.sleep(0.5)
                    continue
                if status == 409:
                    # Would mean the key's first request, which died with the database, left its
                    # claim behind; the claim commits with the work (foodbank.idempotency), so none
                    # should. Nothing was written under it; go on with a new key.
                    with lock:
                        answers["abandoned_keys"] += 1
                elif status != 201:
                    time.sleep(0.1)
                key = str(uuid.uuid4())
            conn.close()

        threads = [threading.Thread(target=client) for _ in range(args.clients)]
        for thread in threads:
            thread.start()
        time.sleep(args.restart_after)
        restart["started"] = time.monotonic()
        before = dict(answers)
        pg.restart(mode="fast")
        restart["finished"] = time.monotonic()
        say(
            f"  restarted PostgreSQL after {args.restart_after}s of load ({before.get(201, 0)} handouts "
            f"logged); down for {restart['finished'] - restart['started']:.1f}s"
        )
        for thread in threads:
            thread.join()

        from django.db import connection
        from django.db.models import Count

        from inventory.models import Handout, StockMovement
        from inventory.selectors import ledger_differences

        connection.close()  # the restart cut this process's connection too
        handouts = Handout.objects.filter(food_bank_id=ids["food_bank"])
        saved = handouts.count()
        without_lines = handouts.annotate(n=Count("lines")).filter(n=0).count()
        movements = StockMovement.objects.filter(handout__isnull=False).count()
        differences = ledger_differences(food_bank_id=ids["food_bank"])
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        pg.stop()

    others = {str(k): v for k, v in answers.items() if k not in (201, 503, 409, "abandoned_keys")}
    lost = max(0, len(answered_201) - saved)
    duplicated = max(0, saved - len(answered_201))
    half_written = without_lines + (movements != 2 * saved) + len(differences)
    say(
        f"  answers: 201×{answers.get(201, 0)}, 503×{answers.get(503, 0)} (with Retry-After and code: "
        f"{answers.get(503, 0) - len(bad_503)}), 409×{answers.get(409, 0)} (retried key still claimed), "
        f"other: {others or 'none'}"
    )
    say(f"  503s later than {args.grace}s after the restart: {len(late_503)} {late_503[:5]}")
    say(
        f"  handouts saved {saved}, without lines {without_lines}, movements {movements} (2 per handout), "
        f"ledger differences {len(differences)}"
    )
    say(
        figures(
            answers.get(201, 0) + answers.get(503, 0) + sum(others.values()),
            lost,
            duplicated,
            answered_503=answers.get(503, 0),
            answered_500=answers.get(500, 0),
            answered_409=answers.get(409, 0),
            late_503=len(late_503),
            half_written=half_written,
        )
    )
    failed = lost or duplicated or half_written or others or late_503 or bad_503
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
