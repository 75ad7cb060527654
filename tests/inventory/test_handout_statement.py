"""The handout's one statement on PostgreSQL (``inventory.services.handouts._hand_out_sql``) chooses
the lots with FEFO in SQL. Every other writer of the ledger chooses them in Python
(``inventory.services.ledger._allocate``). Here the two are held to the same answers over random
windows: the same lots, in the same order, the same quantities, the same shortages, and nothing
written when a handout is refused."""

import re
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inventory import services
from inventory.exceptions import InsufficientStock
from inventory.models import Balance, Handout, Lot, MovementKind, ReasonCode, StockMovement
from inventory.services.handouts import _hand_out_in_one_statement
from inventory.services.ledger import _allocate, _shortage

CODES = ("day1", "day3")
# Days from today to a lot's best-before date: expired, today (still usable), soon, later, undated.
BEST_BEFORE = st.sampled_from([-3, -1, 0, 1, 5, 30, None])
# A window's lots: (pack type, best-before, which lot) → sets on hand; 0 is a lot emptied earlier.
# Two lots may share a date (stock from before lots existed, and a lot of assembled packs): FEFO
# then takes the older balance row first.
LOTS = st.dictionaries(
    st.tuples(st.sampled_from(CODES), BEST_BEFORE, st.sampled_from(["before lots", "packed"])),
    st.integers(min_value=0, max_value=4),
    max_size=10,
)
LINES = st.dictionaries(st.sampled_from(CODES), st.integers(min_value=1, max_value=7), min_size=1)


def _stock(site, catalogue, lots: dict) -> None:
    today = timezone.localdate()
    for (code, days, which), on_hand in lots.items():
        best_before = None if days is None else today + timedelta(days=days)
        pack_type = getattr(catalogue, code)
        lot = None
        if which == "packed":
            lot = Lot.objects.create(
                food_bank_id=site.food_bank_id,
                kind=Lot.Kind.PACK,
                pack_type=pack_type,
                best_before=best_before,
            )
        for quantity in (on_hand + 1, -1):
            services.record_adjustment(
                site=site,
                pack_type=pack_type,
                best_before=best_before,
                lot_id=getattr(lot, "pk", None),
                quantity=quantity,
                reason=ReasonCode.FOUND,
                kind=MovementKind.ADJUSTMENT,
                recorded_by=None,
            )


def _expected(site, catalogue, lines: dict):
    """What ``ledger._allocate`` takes from the window's rows for each line, and the shortages."""
    plan, shortages = [], []
    for code, quantity in lines.items():
        rows = Balance.objects.filter(site=site, pack_type=getattr(catalogue, code))
        allocations, available = _allocate(rows, quantity, today=timezone.localdate())
        if available < quantity:
            shortages.append(_shortage(code, quantity, available))
        plan.extend((row.pk, take) for row, take in allocations)
    return plan, shortages


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.binding
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(lots=LOTS, lines=LINES)
def test_the_statement_takes_what_the_ledgers_fefo_takes(network, catalogue, window_staff_a, lots, lines):
    window = network.window_a
    with transaction.atomic():  # each example rolled back, the fixtures' rows kept
        _stock(window, catalogue, lots)
        plan, shortages = _expected(window, catalogue, lines)
        before = dict(Balance.objects.filter(site=window).values_list("pk", "on_hand"))
        movements, handouts = StockMovement.objects.count(), Handout.objects.count()

        if shortages:
            # When window staff ask for more than the window has, their request is refused with
            # the same shortages, and nothing was written
            # (the statement itself, without record_handout's savepoint that would hide a write)
            now = timezone.now()
            handout = Handout(food_bank_id=window.food_bank_id, site=window, occurred_at=now, recorded_at=now)
            with pytest.raises(InsufficientStock) as refused:
                _hand_out_in_one_statement(handout, lines, today=timezone.localdate())
            assert refused.value.shortages == shortages
            assert Handout.objects.count() == handouts
            assert StockMovement.objects.count() == movements
            assert dict(Balance.objects.filter(site=window).values_list("pk", "on_hand")) == before
        else:
            # When window staff hand these sets out, the statement took the same lots, in the same
            # order, as many sets of each
            handout = services.record_handout(
                site=window, lines=lines, recorded_by=window_staff_a, household_size=1
            )
            assert _taken(handout, window) == plan
            after = dict(Balance.objects.filter(site=window).values_list("pk", "on_hand"))
            assert after == {pk: on_hand - dict(plan).get(pk, 0) for pk, on_hand in before.items()}
            assert [(line.pack_type.code, line.quantity) for line in handout.line_list] == list(lines.items())
        transaction.set_rollback(True)


def _taken(handout: Handout, site) -> list[tuple[int, int]]:
    """(balance row, sets taken) of each of the handout's movements, in the order written."""
    rows = {
        (b.item_id, b.pack_type_id, b.best_before, b.lot_id): b.pk for b in Balance.objects.filter(site=site)
    }
    return [
        (rows[(m.item_id, m.pack_type_id, m.best_before, m.lot_id)], -m.quantity)
        for m in StockMovement.objects.filter(handout=handout).order_by("pk")
    ]


def test_the_statement_is_short_enough_for_psycopg_to_cache_its_parsing():
    # psycopg parses a statement's placeholders again at every execute when its text is longer than
    # its cache's limit (a private constant, read here so that a change in psycopg shows): with a
    # key's completion the handout's statement was 4,382 bytes, and its parsing an eighth of the
    # request's CPU (docs/benchmarks.md). On one line (foodbank.prepared.one_line) it is under.
    from psycopg._queries import MAX_CACHED_STATEMENT_LENGTH, MAX_CACHED_STATEMENT_PARAMS

    from foodbank.idempotency import _COMPLETION_SQL
    from inventory.services.handouts import _hand_out_sql

    completion = _COMPLETION_SQL.format(created="new_handout")
    for sql in (_hand_out_sql(), _hand_out_sql(completion)):
        assert len(sql.encode()) <= MAX_CACHED_STATEMENT_LENGTH
        # psycopg's other condition: at most so many parameters. It counts the keys of the mapping
        # passed; the statement's builder passes exactly the names it uses, so their number is it.
        assert len(set(re.findall(r"%\((\w+)\)s", sql))) <= MAX_CACHED_STATEMENT_PARAMS
        assert "\n" not in sql
