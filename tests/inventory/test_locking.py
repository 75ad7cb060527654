"""Row locks and database backstops: concurrent handouts on PostgreSQL, the ordered
SELECT … FOR UPDATE before every write, check constraints and the append-only ledger."""

import random
import re
import threading

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext

from foodbank.models import IdempotencyKey, Role
from inventory import services
from inventory.models import Balance, Handout, StockMovement
from inventory.selectors import ledger_differences
from tests.helpers import api_client_for, make_actor

from .helpers import put_stock

URL = "/api/v1/handouts/"


def _hand_out_concurrently(clients, bodies, keys=None) -> list[int]:
    """Post every body from its own thread (with its ``Idempotency-Key`` when ``keys`` are given),
    all released at once; returns the status codes."""
    barrier = threading.Barrier(len(bodies))
    statuses: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker(client, body, key):
        try:
            barrier.wait(timeout=30)
            response = client.post(URL, body, format="json", **({"HTTP_IDEMPOTENCY_KEY": key} if key else {}))
            with lock:
                statuses.append(response.status_code)
                if response.status_code == 409:
                    assert response.json()["code"] == "insufficient_stock"
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    keys = keys or [None] * len(bodies)
    threads = [
        threading.Thread(target=worker, args=(c, b, k)) for c, b, k in zip(clients, bodies, keys, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return statuses


def _staff_clients(network, count: int):
    users = [
        make_actor(f"window_a_{n}", Role.WINDOW_STAFF, network.agency_a, network.window_a) for n in range(4)
    ]
    return [api_client_for(users[n % len(users)]) for n in range(count)]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("with_keys", [False, True], ids=["without keys", "with keys"])
def test_many_staff_handing_out_the_last_sets_at_once_exactly_n_succeed(network, catalogue, with_keys):
    # Given the window's last 5 three-day sets, in two lots
    put_stock(network.window_a, pack_type=catalogue.day3, quantity=2)
    put_stock(network.window_a, pack_type=catalogue.day3, quantity=3, best_before=None)
    body = {"site": network.window_a.pk, "lines": [{"pack_type": "day3", "quantity": 1}]}
    body["household"] = {"size": 1, "type": "single"}

    # When 24 requests for one set each arrive at once from four staff members (each with a key of
    # its own: the handout's statement completes the 5 keys it serves and releases the others)
    keys = [f"last-{n}" for n in range(24)] if with_keys else None
    statuses = _hand_out_concurrently(_staff_clients(network, 24), [body] * 24, keys)

    # Then exactly 5 succeed and the other 19 are refused with 409
    assert sorted(statuses) == [201] * 5 + [409] * 19
    assert Handout.objects.count() == 5
    completed = IdempotencyKey.objects.values_list("state", "resource_id")
    assert sorted(completed) == (
        sorted(("completed", pk) for pk in Handout.objects.values_list("pk", flat=True)) if with_keys else []
    )
    lots = Balance.objects.filter(site=network.window_a, pack_type=catalogue.day3)
    assert lots.aggregate(on_hand=Sum("on_hand"))["on_hand"] == 0
    ledger = StockMovement.objects.filter(site=network.window_a, pack_type=catalogue.day3)
    assert ledger.aggregate(total=Sum("quantity"))["total"] == 0
    assert ledger_differences() == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_line_handouts_in_either_order_neither_deadlock_nor_oversell(network, catalogue):
    # Given 5 three-day and 5 one-day sets
    put_stock(network.window_a, pack_type=catalogue.day3, quantity=5)
    put_stock(network.window_a, pack_type=catalogue.day1, quantity=5)
    rng = random.Random(3)
    bodies = []
    for _ in range(16):
        lines = [{"pack_type": "day3", "quantity": 1}, {"pack_type": "day1", "quantity": 1}]
        rng.shuffle(lines)  # the rows are locked in primary-key order whatever the lines' order
        bodies.append(
            {"site": network.window_a.pk, "lines": lines, "household": {"size": 3, "type": "family"}}
        )

    statuses = _hand_out_concurrently(_staff_clients(network, 16), bodies)

    assert sorted(statuses) == [201] * 5 + [409] * 11
    assert set(Balance.objects.filter(site=network.window_a).values_list("on_hand", flat=True)) == {0}
    assert ledger_differences() == []


_WRITERS = ("locked", "usable", "plan", "moved", "taken")


@pytest.mark.postgres
@pytest.mark.django_db
def test_handout_locks_the_balance_rows_in_pk_order_before_writing_stock(network, catalogue, window_staff_a):
    put_stock(network.window_a, pack_type=catalogue.day3, quantity=2)
    put_stock(network.window_a, pack_type=catalogue.day1, quantity=2)

    with CaptureQueriesContext(connection) as captured:
        services.record_handout(
            site=network.window_a,
            lines={"day1": 1, "day3": 1},
            household_size=1,
            household_type="single",
            recorded_by=window_staff_a,
        )

    # One statement (inventory.services.handouts._hand_out_sql) reads the window's balance rows, and
    # it locks them in primary-key order (inventory.locks.window_balances_sql); the stock it writes
    # depends on the locked rows (movements and the update from plan, plan from usable, usable from
    # locked), so PostgreSQL takes every lock before it writes.
    queries = [q["sql"] for q in captured.captured_queries]
    balances = [sql for sql in queries if '"inventory_balance"' in sql]
    assert len(balances) == 1
    (statement,) = balances
    # (the statement is on one line: a query ends where the next one, or the final SELECT, begins)
    cte = {
        name: re.search(rf"\b{name} AS \((.*?)\)(?:, \w+ AS \(| SELECT counted\.)", statement)
        .group(1)
        .strip()
        for name in _WRITERS
    }
    assert 'FROM "inventory_balance" WHERE site_id = ' in cte["locked"]
    assert cte["locked"].endswith("ORDER BY id FOR UPDATE")
    assert "FROM locked" in cte["usable"]
    assert "FROM usable" in cte["plan"]
    assert 'INSERT INTO "inventory_stockmovement"' in cte["moved"]
    assert "FROM plan" in cte["moved"]
    # and the balances' update is relative to the locked rows' value, for the lots taken only
    assert (
        cte["taken"].strip()
        == 'UPDATE "inventory_balance" b SET on_hand = b.on_hand - plan.take FROM plan WHERE b.id = plan.id'
    )
    assert sorted(Balance.objects.filter(site=network.window_a).values_list("on_hand", flat=True)) == [1, 1]


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize("operation", ["reserve", "receipt", "assembly", "adjustment"])
def test_other_stock_writes_lock_in_pk_order_before_writing(operation, network, catalogue):
    wh = network.warehouse
    put_stock(wh, item=catalogue.noodles, quantity=20)
    put_stock(wh, item=catalogue.rice, quantity=40)
    put_stock(wh, item=catalogue.water, quantity=20)
    put_stock(wh, pack_type=catalogue.home, quantity=2)
    calls = {
        "reserve": lambda: services.reserve_stock(
            site=wh,
            lines=[
                services.StockNeed(pack_type=catalogue.home, quantity=1),
                services.StockNeed(item=catalogue.water, quantity=2),
            ],
            reference="parcel:1",
        ),
        "receipt": lambda: services.record_donation_receipt(
            site=wh,
            donor_type="farm",
            weight_kg="12.5",
            lines=[services.ReceiptLineIn(item=catalogue.rice, quantity=10)],
        ),
        "assembly": lambda: services.assemble_packs(site=wh, pack_type=catalogue.day1, quantity=2),
        "adjustment": lambda: put_stock(wh, item=catalogue.noodles, quantity=-1),
    }

    with CaptureQueriesContext(connection) as captured:
        calls[operation]()

    queries = [q["sql"] for q in captured.captured_queries]
    locks = [i for i, sql in enumerate(queries) if 'FOR UPDATE OF "inventory_balance"' in sql]
    assert locks
    for i in locks:
        assert 'ORDER BY "inventory_balance"."id" ASC' in queries[i]
    balance_writes = [
        i
        for i, sql in enumerate(queries)
        # services._update_balances writes raw SQL (unquoted table name)
        if sql.startswith(
            (
                'UPDATE "inventory_balance"',
                "UPDATE inventory_balance",
                'INSERT INTO "inventory_stockmovement"',
            )
        )
    ]
    assert balance_writes
    assert max(locks) < min(balance_writes)


@pytest.mark.django_db
def test_the_database_refuses_a_negative_balance(network, catalogue):
    put_stock(network.window_a, pack_type=catalogue.day3, quantity=1)
    row = Balance.objects.get()

    with pytest.raises(IntegrityError), transaction.atomic():
        Balance.objects.filter(pk=row.pk).update(on_hand=-1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Balance.objects.filter(pk=row.pk).update(reserved=-1)


@pytest.mark.django_db
def test_the_database_refuses_to_edit_a_movement(network, catalogue):
    movement = put_stock(network.window_a, pack_type=catalogue.day3, quantity=1)

    with pytest.raises(DatabaseError), transaction.atomic():
        StockMovement.objects.filter(pk=movement.pk).update(quantity=100)

    assert StockMovement.objects.get().quantity == 1


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_database_refuses_to_delete_a_movement(network, catalogue):
    movement = put_stock(network.window_a, pack_type=catalogue.day3, quantity=1)

    with pytest.raises(DatabaseError), transaction.atomic():
        StockMovement.objects.filter(pk=movement.pk).delete()

    assert StockMovement.objects.count() == 1
