#!/usr/bin/env python
"""Fault: two beat processes (a deploy overlap, a second scheduler started by mistake) run
``open_due_batches`` at the same moment.

Each round is a day at 16:00, after every account's cutoff; ``--openers`` threads (each its own
database connection, as separate beat processes have) are released together by a barrier and
each opens the day's batches. ``(account, ship_date)`` is unique in the database and only the
opener that created a batch enqueues its build. Counts:

- lost: (account, day) pairs without a batch;
- duplicated: batches beyond one per account and day, openers that both believed they created the
  same batch, build tasks beyond one per batch; and any error an opener raised.

Exits 1 on loss, duplication or an error. Meaningful on PostgreSQL (concurrent transactions).

    DATABASE_URL=postgres://… python bench/fault_two_beats.py [--accounts 10] [--rounds 20] [--openers 2]
"""

import argparse
import os
import sys
import tempfile
import threading
from collections import Counter
from datetime import datetime, time, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.faults import figures, say


def run(*, food_bank, accounts: list, rounds: int, openers: int = 2, first_day=None) -> dict:
    """The scenario, in a configured Django with ``accounts`` (pickup every day) of ``food_bank``."""
    from django.db import connection
    from django.utils import timezone

    from foodbank.models import OutboxMessage
    from shipping import services
    from shipping.models import DispatchBatch

    first_day = first_day or timezone.localdate() + timedelta(days=400)
    tz = timezone.get_current_timezone()
    created: Counter = Counter()
    errors: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(openers)

    def opener(now: datetime) -> None:
        try:
            barrier.wait(timeout=30)
            ids = services.open_due_batches(now=now)
            with lock:
                created.update(ids)
        except Exception as exc:  # an opener that fails is a finding, not noise
            with lock:
                errors.append(repr(exc)[:200])
        finally:
            connection.close()

    days = [first_day + timedelta(days=i) for i in range(rounds)]
    for day in days:
        now = datetime.combine(day, time(16, 0), tzinfo=tz)
        threads = [threading.Thread(target=opener, args=(now,)) for _ in range(openers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    account_ids = [a.pk for a in accounts]
    batches = DispatchBatch.objects.filter(account_id__in=account_ids, ship_date__in=days)
    pairs = Counter(batches.values_list("account_id", "ship_date"))
    batch_ids = set(batches.values_list("pk", flat=True))
    builds = Counter(
        m["batch_id"]
        for m in OutboxMessage.objects.filter(task_name=services.BUILD_TASK).values_list("kwargs", flat=True)
        if m.get("batch_id") in batch_ids
    )
    expected = len(account_ids) * len(days)
    lost = expected - len(pairs)
    duplicated = (
        sum(n - 1 for n in pairs.values())
        + sum(n - 1 for n in created.values())
        + sum(n - 1 for n in builds.values())
        + len(batch_ids - set(builds))  # a batch nobody enqueued would be lost work
    )
    return {
        "tried": expected,
        "openers": openers,
        "batches": batches.count(),
        "claimed_created": sum(created.values()),
        "build_tasks": sum(builds.values()),
        "errors": errors,
        "lost": lost,
        "duplicated": duplicated,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--accounts", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--openers", type=int, default=2)
    args = parser.parse_args()

    from bench.faults import recreate_database, seed_network, setup_django

    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        url = url + "_faults"
        recreate_database(url)
    else:
        say("  (SQLite: transactions are serialised, so this shows little; set DATABASE_URL=postgres://…)")
        url = f"sqlite:///{tempfile.mkdtemp(prefix='fault-db-')}/db.sqlite3"
    say(
        f"Two beat processes, one batch: {args.openers} openers × {args.rounds} days "
        f"× {args.accounts} accounts"
    )
    setup_django(database_url=url)
    from tests.shipping.integration import make_b2_account

    net = seed_network()
    accounts = [make_b2_account(net.food_bank, name=f"ヤマト{i}") for i in range(args.accounts)]
    result = run(food_bank=net.food_bank, accounts=accounts, rounds=args.rounds, openers=args.openers)
    say(
        f"  batches {result['batches']} (one per account and day: {result['tried']}), openers that created "
        f"one: {result['claimed_created']}, build tasks enqueued: {result['build_tasks']}, "
        f"errors: {result['errors'][:3] or 'none'}"
    )
    say(figures(result["tried"], result["lost"], result["duplicated"], errors=len(result["errors"])))
    return 1 if result["lost"] or result["duplicated"] or result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
