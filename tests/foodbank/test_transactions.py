"""``foodbank.transactions.execute_then_commit``: the last statement of a transaction and its COMMIT
in one round trip (docs/benchmarks.md), followed through a handout with an ``Idempotency-Key``:
what the window's staff get back, what is stored, and that a failure at the end stores nothing."""

import hashlib
import json
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone
from psycopg import pq

from foodbank.models import IdempotencyKey
from foodbank.transactions import execute_then_commit
from inventory.models import Balance, Handout, StockMovement
from tests.inventory.helpers import HANDOUT_3_PLUS_1, put_stock
from tests.wire import bound_on, sent_to_server

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

URL = "/api/v1/handouts/"


@pytest.fixture
def stocked(network, catalogue):
    put_stock(network.window_a, pack_type=catalogue.day3, quantity=5)
    put_stock(network.window_a, pack_type=catalogue.day1, quantity=4)
    return network


@pytest.fixture(params=["server", "client"])
def binding(request) -> Iterator[str]:
    """Each test once with server-side binding (the default, ``DB_PREPARED_STATEMENTS``) and once
    with client-side binding (``DB_PREPARED_STATEMENTS=0``): the two send the COMMIT differently."""
    with bound_on(request.param):
        yield request.param


def _post(client, site, key):
    return client.post(URL, {"site": site.pk, **HANDOUT_3_PLUS_1}, format="json", HTTP_IDEMPOTENCY_KEY=key)


def _stored() -> tuple:
    return (
        Handout.objects.count(),
        StockMovement.objects.count(),
        sorted(Balance.objects.values_list("pk", "on_hand")),
        IdempotencyKey.objects.count(),
    )


def test_a_handout_with_a_key_commits_with_the_keys_completion(api, stocked, window_staff_a, binding):
    client = api(window_staff_a)

    # When window staff log a handout with a key, outside any test transaction (as in production)
    with sent_to_server() as sent:
        first = _post(client, stocked.window_a, "handout-1")

    # Then the handout's one statement completed the key and went with the COMMIT, as the
    # transaction's last round trip: the token, BEGIN, the claim, the handout with the completion
    assert first.status_code == 201
    assert len(sent) == 4
    assert sent[0].startswith("SELECT")
    assert sent[1] == "BEGIN"
    assert sent[2].startswith('INSERT INTO "foodbank_idempotencykey"')
    assert 'INSERT INTO "inventory_handout"' in sent[3]
    assert 'idempotency_completed AS (UPDATE "foodbank_idempotencykey"' in sent[3]
    assert sent[-1].endswith("; COMMIT")
    assert "COMMIT" not in sent
    assert connection.connection.pgconn.transaction_status == pq.TransactionStatus.IDLE

    # And everything is stored: the handout, its movements, and the key pointing at it
    handout = Handout.objects.get()
    assert first.json()["id"] == handout.pk
    key = IdempotencyKey.objects.get()
    assert (key.state, key.resource_id, key.response_status) == ("completed", handout.pk, 201)
    assert StockMovement.objects.filter(handout=handout).count() == 2

    # And a retry is answered with the first answer, changing nothing
    retry = _post(client, stocked.window_a, "handout-1")
    assert retry.status_code == 201
    assert retry["Idempotent-Replayed"] == "true"
    assert retry.json() == first.json()
    assert Handout.objects.count() == 1


def test_a_handout_without_a_key_commits_with_its_movements(api, stocked, window_staff_a, binding):
    client = api(window_staff_a)

    # When window staff log a handout without a key
    with sent_to_server() as sent:
        response = client.post(URL, {"site": stocked.window_a.pk, **HANDOUT_3_PLUS_1}, format="json")

    # Then the handout, the window's lock, the movements and the balances' update went as one
    # statement with the COMMIT: the window's balance rows are locked for that one round trip
    assert response.status_code == 201
    assert len(sent) == 3
    assert sent[1] == "BEGIN"
    assert 'INSERT INTO "inventory_handout"' in sent[2]
    assert "FOR UPDATE" in sent[2]
    assert 'INSERT INTO "inventory_stockmovement"' in sent[2]
    assert 'UPDATE "inventory_balance"' in sent[2]
    assert sent[-1].endswith("; COMMIT")
    assert "COMMIT" not in sent
    assert response.json()["sets"] == 2
    assert StockMovement.objects.filter(handout_id=response.json()["id"]).count() == 2
    assert dict(Balance.objects.values_list("pack_type__code", "on_hand")) == {"day3": 4, "day1": 3}


_SHORT = [{"pack_type": "day3", "quantity": 6}, {"pack_type": "day1", "quantity": 1}]
_UNKNOWN = [{"pack_type": "day1", "quantity": 1}, {"pack_type": "day7", "quantity": 1}]
_TOLD = {
    "short": {
        "code": "insufficient_stock",
        "detail": "在庫が足りないため、記録していません。",
        "shortages": [{"sku": "day3", "requested": 6, "available": 5}],
    },
    "unknown": {"lines": {"1": {"pack_type": ["不明なセットの種類です。"]}}},
}


@pytest.mark.parametrize("key", [None, "refused-1"], ids=["without key", "with key"])
@pytest.mark.parametrize(
    ("lines", "status", "told"), [(_SHORT, 409, _TOLD["short"]), (_UNKNOWN, 400, _TOLD["unknown"])], ids=_TOLD
)
def test_a_refused_handout_stores_nothing(api, stocked, window_staff_a, binding, lines, status, told, key):
    client = api(window_staff_a)
    before = _stored()
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}

    # When window staff ask for more day-3 sets than the window has, or for a pack type the food
    # bank does not have (the handout's statement goes with the COMMIT)
    with sent_to_server() as sent:
        refused = client.post(URL, {"site": stocked.window_a.pk, "lines": lines}, format="json", **headers)

    # Then they are told why, and neither a handout, a movement, the stock nor a key changed: the
    # statement wrote nothing (with a key, it deleted the claim made in the same transaction), so
    # what was committed with it was nothing
    assert refused.status_code == status
    assert refused.json() == told
    assert _stored() == before
    assert sent[-1].endswith("; COMMIT")
    assert "ROLLBACK" not in sent  # nothing to roll back: psycopg sends none, prepared statements kept
    assert connection.connection.pgconn.transaction_status == pq.TransactionStatus.IDLE

    # And the corrected handout, on the same connection and with the same key, goes through
    served = client.post(URL, {"site": stocked.window_a.pk, **HANDOUT_3_PLUS_1}, format="json", **headers)
    assert served.status_code == 201
    assert "Idempotent-Replayed" not in served
    assert dict(Balance.objects.values_list("pack_type__code", "on_hand")) == {"day3": 4, "day1": 3}


def test_a_refused_handout_leaves_a_claim_it_took_over_as_it_was(api, stocked, window_staff_a, binding):
    # Given a claim of the key committed on its own by an earlier release, whose request died (its
    # lease has run out)
    body = {"site": stocked.window_a.pk, "lines": _SHORT}
    data = json.dumps(body, sort_keys=True, default=str, ensure_ascii=False)
    print_ = hashlib.sha256(b"POST\0/api/v1/handouts/\0" + data.encode() + b"\0").hexdigest()
    expired = timezone.now() - timedelta(minutes=5)
    IdempotencyKey.objects.create(
        user=window_staff_a, scope="inventory.handout", key="old-1", fingerprint=print_, locked_until=expired
    )

    # When the same request comes again, takes the key over, and is refused (too few day-3 sets)
    with sent_to_server() as sent:
        refused = api(window_staff_a).post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="old-1")

    # Then nothing was committed with the refusal: the old claim is there as it was (rolled back,
    # not deleted by the handout's statement, which completes only a claim of its own transaction)
    assert refused.status_code == 409
    assert refused.json()["code"] == "insufficient_stock"
    assert "ROLLBACK" in sent
    assert not any("idempotency_released" in trip for trip in sent)
    key = IdempotencyKey.objects.get()
    assert (key.state, key.fingerprint, key.locked_until) == ("in_progress", print_, expired)
    assert Handout.objects.count() == 0


@pytest.mark.parametrize("side", ["server", "client", "prepared"])
def test_a_failure_at_the_completion_stores_nothing(api, stocked, window_staff_a, side):
    client = api(window_staff_a)
    before = _stored()
    # Given the database refuses the key's completion (the statement sent with the COMMIT)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$"
            " LANGUAGE plpgsql"
        )
        cursor.execute(
            "CREATE TRIGGER refuse BEFORE UPDATE ON foodbank_idempotencykey"
            " FOR EACH ROW EXECUTE FUNCTION refuse()"
        )
    try:
        # When a handout with a key is logged
        with bound_on(side), sent_to_server() as sent:
            refused = _post(client, stocked.window_a, "handout-2")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER refuse ON foodbank_idempotencykey")
            cursor.execute("DROP FUNCTION refuse()")

    # Then the request fails, and neither the handout, its movements, the stock nor the key changed
    assert refused.status_code == 500
    assert _stored() == before
    # (the COMMIT sent with the handout's statement that completes the key, or queued behind it in
    # the pipeline, did not run once the completion failed, and the transaction was rolled back;
    # prepared, the statement's text is not sent again) and the connection is out of the pipeline
    # and its transaction ended
    if side != "prepared":
        completion = [i for i, trip in enumerate(sent) if "idempotency_completed AS (UPDATE" in trip]
        assert len(completion) == 1
        assert "ROLLBACK" in sent[completion[0] + 1 :]
        if side == "client":
            assert sent[completion[0]].endswith("; COMMIT")
    assert connection.connection.pgconn.pipeline_status == pq.PipelineStatus.OFF
    assert connection.connection.pgconn.transaction_status == pq.TransactionStatus.IDLE
    # And a retry with the same key is logged once the database accepts it again
    assert _post(client, stocked.window_a, "handout-2").status_code == 201
    assert Handout.objects.count() == 1


_NESTED = {
    # the caller's block and the service's own (a savepoint)
    "savepoint": lambda: [transaction.atomic(), transaction.atomic()],
    # the caller's, and two more joined to it without savepoints: the statement's block is not the
    # one joined to the caller's work
    "joined twice": lambda: [
        transaction.atomic(),
        transaction.atomic(savepoint=False),
        transaction.atomic(savepoint=False),
    ],
}


@pytest.mark.parametrize("completes_caller", [False, True])
@pytest.mark.parametrize("nested", _NESTED)
def test_inside_a_callers_transaction_it_does_not_commit(binding, nested, completes_caller):
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE kept (n integer)")

    # When it runs inside a transaction that is not only its own (even when it says it completes
    # its caller's work), and that transaction rolls back
    def callers_work():
        with ExitStack() as blocks:
            for block in _NESTED[nested]():
                blocks.enter_context(block)
            with sent_to_server() as sent:
                execute_then_commit("INSERT INTO kept VALUES (%s)", [1], completes_caller=completes_caller)
            raise RuntimeError(sent)  # the caller's later step fails

    with pytest.raises(RuntimeError) as failed:
        callers_work()
    sent = failed.value.args[0]

    # Then the statement ran without a COMMIT (after the transaction's BEGIN when no savepoint
    # sent it earlier), and rolled back with the caller's transaction
    if binding == "client":
        assert [trip for trip in sent if trip != "BEGIN"] == ["INSERT INTO kept VALUES (1)"]
    else:
        assert [trip for trip in sent if trip != "BEGIN"] == ["INSERT INTO kept VALUES ($1)"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM kept")
        assert cursor.fetchone() == (0,)


def test_joined_to_its_callers_block_it_commits_only_when_it_completes_the_callers_work(binding):
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE kept (n integer)")

    # When the statement runs in a block joined to its caller's (idempotent_create and a service),
    # without completing the caller's work, then saying it does
    for completes_caller in (False, True):
        with sent_to_server() as sent, transaction.atomic(), transaction.atomic(savepoint=False):
            execute_then_commit("INSERT INTO kept VALUES (%s)", [1], completes_caller=completes_caller)
        # Then only the second went with the COMMIT, and leaving the blocks sent no second one
        assert sent[-1].endswith("; COMMIT") is completes_caller
        assert ("COMMIT" in sent) is not completes_caller
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM kept")
        assert cursor.fetchone() == (2,)


def test_alone_in_its_transaction_it_commits_at_once(binding):
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE kept (n integer)")
    with sent_to_server() as sent, transaction.atomic():
        execute_then_commit("INSERT INTO kept VALUES (%s)", [1])
        # Then the row is committed already: the transaction has ended on the server
        assert connection.connection.pgconn.transaction_status == pq.TransactionStatus.IDLE
    # And leaving atomic() sent no second COMMIT
    if binding == "client":
        assert sent == ["BEGIN", "INSERT INTO kept VALUES (1); COMMIT"]
    else:
        assert sent == ["BEGIN", "INSERT INTO kept VALUES ($1); COMMIT"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM kept")
        assert cursor.fetchone() == (1,)


def _hand_out(site, user, lines):
    from inventory import services

    return services.record_handout(site=site, lines=lines, recorded_by=user, household_size=1)


def _in_a_savepoint(site, user, lines):
    with transaction.atomic():
        return _hand_out(site, user, lines)


def _in_a_block_joined_to_it(site, user, lines):
    with transaction.atomic(savepoint=False):
        return _hand_out(site, user, lines)


def _after_a_read(site, user, lines):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return _hand_out(site, user, lines)


@pytest.mark.parametrize("served", [True, False], ids=["served", "refused"])
@pytest.mark.parametrize(
    "work",
    [_in_a_savepoint, _in_a_block_joined_to_it, _after_a_read],
    ids=["in a savepoint", "in a joined block", "after a read"],
)
def test_a_work_that_is_more_than_the_handouts_statement_completes_its_key_apart(
    stocked, window_staff_a, binding, work, served
):
    from foodbank.idempotency import run_once
    from inventory.exceptions import InsufficientStock

    lines = {"day3": 1} if served else {"day3": 6}
    before = _stored()

    # When the handout is not the whole work of a key (a block around it, a statement before it)
    def record():
        return run_once(
            user=window_staff_a,
            scope="test.handout",
            key="apart-1",
            fingerprint="f",
            create=lambda: work(stocked.window_a, window_staff_a, lines),
        )

    with sent_to_server() as sent:
        if served:
            pk, replayed = record()
        else:
            with pytest.raises(InsufficientStock):
                record()

    # Then the statement does not complete the key: served, the key's own UPDATE does, with the
    # COMMIT; refused, the transaction rolls back, claim included
    assert not any("idempotency_" in trip for trip in sent)
    if served:
        assert not replayed
        completion = [trip for trip in sent if trip.startswith('UPDATE "foodbank_idempotencykey"')]
        assert len(completion) == 1
        assert completion[0].endswith("; COMMIT")
        key = IdempotencyKey.objects.get()
        assert (key.state, key.resource_id) == ("completed", pk)
    else:
        assert "ROLLBACK" in sent
        assert _stored() == before


def test_a_statement_after_the_one_that_completed_the_key_is_refused(stocked, window_staff_a):
    from foodbank.idempotency import run_once

    def hand_out_then_read():
        handout = _hand_out(stocked.window_a, window_staff_a, {"day3": 1})
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return handout

    # When the work goes on after the statement that completed its key (and went with the COMMIT)
    with pytest.raises(RuntimeError, match="after the one that completed the Idempotency-Key"):
        run_once(user=window_staff_a, scope="t", key="after-1", fingerprint="f", create=hand_out_then_read)
