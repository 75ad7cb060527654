#!/usr/bin/env python
"""Fault: Redis (the Celery broker) dies while delivery requests are filed and approved.

Starts a PRIVATE redis-server on a free port (append-only, fsync always) and a real Celery worker
against it, then files delivery requests over the API from several client threads and approves
each one (approval emails the case worker: a task that goes through the transactional outbox).
A third of the way in, Redis is SIGKILLed and restarted a few seconds later. Every request must be
answered 201 and saved; the follow-up tasks queued while Redis was down stay in the outbox and the
relay (beat, every 30 s; called here directly) sends them once Redis is back. Counts:

- lost: requests not saved + approvals whose email task never ran;
- duplicated: requests saved twice + emails sent twice.

Exits 1 on any loss or duplication. The machine's Redis is never touched.

    python bench/fault_redis_down.py [--requests 60] [--clients 4] [--down 3]
    (DATABASE_URL=postgres://… uses a fresh ``<name>_faults`` database; default: a temporary SQLite)
"""

import argparse
import os
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.faults import PrivateRedis, WorkerProcess, api_client, broker_at, database_url_of, figures, say


def _ran(notification_model) -> int:
    return (
        notification_model.objects.filter(sent_at__isnull=False).count()
        + notification_model.objects.exclude(skipped="").count()
    )


def run(*, net, redis: PrivateRedis, requests: int = 60, clients: int = 4, down_seconds: float = 3.0) -> dict:
    """The scenario, in a configured Django with a migrated database and ``net`` seeded."""
    from django.conf import settings
    from django.db import connection

    from foodbank import outbox
    from foodbank.models import OutboxMessage
    from referrals.models import DeliveryRequest, Notification
    from tests.referrals.factories import body

    statuses: dict[str, list] = {"file": [], "approve": []}
    done = 0
    lock = threading.Lock()

    def client_thread(count: int) -> None:
        nonlocal done
        filer, approver = api_client(net.case_worker), api_client(net.coordinator)
        try:
            for _ in range(count):
                key = str(uuid.uuid4())
                try:
                    response = filer.post(
                        "/api/v1/delivery-requests/", body(), format="json", HTTP_IDEMPOTENCY_KEY=key
                    )
                    filed = response.status_code
                    approved = None
                    if filed == 201:
                        pk = response.json()["id"]
                        approved = approver.post(
                            f"/api/v1/delivery-requests/{pk}/approve/", {}, format="json"
                        ).status_code
                except Exception as exc:  # an exception is an answer too: counted, never hidden
                    filed, approved = type(exc).__name__, None
                with lock:
                    statuses["file"].append(filed)
                    statuses["approve"].append(approved)
                    done += 1
        finally:
            connection.close()

    with broker_at(redis.url):
        before = DeliveryRequest.objects.count()
        worker = WorkerProcess(
            broker_url=redis.url,
            database_url=database_url_of(connection),
            queue=getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery"),
        ).start()
        try:
            per_client = [requests // clients + (i < requests % clients) for i in range(clients)]
            threads = [threading.Thread(target=client_thread, args=(n,)) for n in per_client]
            for thread in threads:
                thread.start()
            while done < requests // 3 and any(t.is_alive() for t in threads):
                time.sleep(0.01)
            redis.kill()
            killed_at = done
            say(f"  redis killed after {killed_at} requests; down for {down_seconds}s while filing goes on")
            time.sleep(down_seconds)
            unsent_while_down = OutboxMessage.objects.filter(sent_at__isnull=True).count()
            redis.start()
            restarted_at = done
            say(f"  redis back after {restarted_at} requests ({unsent_while_down} tasks in the outbox)")
            for thread in threads:
                thread.join()
            # The relay (beat's relay_outbox_task) sends what the broker refused; the worker runs it.
            relayed = 0
            deadline = time.monotonic() + 90
            expected = statuses["approve"].count(200)
            while time.monotonic() < deadline:
                relayed += outbox.relay(min_age_seconds=0)
                if _ran(Notification) >= expected and not OutboxMessage.objects.filter(sent_at__isnull=True):
                    break
                time.sleep(0.5)
            time.sleep(2)  # a duplicate delivery, if any, would show up now
            if os.environ.get("FAULT_DEBUG"):
                import redis as redis_client

                r = redis_client.Redis.from_url(redis.url)
                say(f"  debug: keys={r.keys()} unacked={r.hlen('unacked')}")
                say(f"  debug: worker log {worker.log}")
        finally:
            worker.stop()
        saved = DeliveryRequest.objects.count() - before
        approved = DeliveryRequest.objects.filter(status="approved").count()
        sent = Notification.objects.filter(sent_at__isnull=False).count()
        skipped = Notification.objects.exclude(skipped="").count()
        emails = worker.emails()
    tried = requests
    answered_201 = statuses["file"].count(201)
    other = sorted({str(s) for s in statuses["file"] + statuses["approve"] if s not in (201, 200)})
    lost = max(0, tried - saved) + max(0, expected - (sent + skipped))
    duplicated = max(0, saved - tried) + max(0, emails - sent)
    return {
        "tried": tried,
        "answered_201": answered_201,
        "approved_200": expected,
        "saved": saved,
        "approved_rows": approved,
        "other_answers": other,
        "killed_after": killed_at,
        "back_after": restarted_at,
        "unsent_while_down": unsent_while_down,
        "relayed_after": relayed,
        "follow_ups_ran": sent + skipped,
        "emails": emails,
        "lost": lost,
        "duplicated": duplicated,
    }


def main() -> int:
    import os

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--down", type=float, default=3.0, help="seconds Redis stays down")
    args = parser.parse_args()

    from bench.faults import recreate_database, seed_network, setup_django

    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        url = url + "_faults"
        recreate_database(url)
    else:
        url = f"sqlite:///{tempfile.mkdtemp(prefix='fault-db-')}/db.sqlite3"
    redis = PrivateRedis().start()
    say(f"Redis down while requests are filed: private redis :{redis.port}, database {url.split('@')[-1]}")
    try:
        setup_django(database_url=url, broker_url=redis.url)
        net = seed_network()
        result = run(
            net=net, redis=redis, requests=args.requests, clients=args.clients, down_seconds=args.down
        )
    finally:
        redis.stop()
    say(
        f"  answered 201: {result['answered_201']}/{result['tried']}, approved: {result['approved_200']}, "
        f"other answers: {result['other_answers'] or 'none'}"
    )
    say(
        f"  follow-up tasks: {result['follow_ups_ran']} ran ({result['relayed_after']} relayed by the outbox "
        f"after Redis came back), emails sent: {result['emails']}"
    )
    say(
        figures(
            result["tried"],
            result["lost"],
            result["duplicated"],
            saved=result["saved"],
            follow_ups=result["follow_ups_ran"],
        )
    )
    return 1 if result["lost"] or result["duplicated"] or result["other_answers"] else 0


if __name__ == "__main__":
    sys.exit(main())
