"""Handouts at a window: recording one, voiding one logged by mistake, and erasing old notes
(called by ``referrals.retention``).
"""

import functools
from collections import defaultdict
from collections.abc import Mapping
from datetime import date, datetime

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from foodbank.bulk import column_name, shared_values
from foodbank.idempotency import completion_sql
from foodbank.models import Site
from foodbank.prepared import one_line
from foodbank.transactions import execute_then_commit, service_transaction

from .. import locks
from ..exceptions import InsufficientStock, UnknownPackType
from ..models import (
    Balance,
    Handout,
    HandoutHouseholdType,
    HandoutLine,
    MovementKind,
    PackType,
    ReasonCode,
    StockMovement,
)
from .corrections import _reverse
from .ledger import _allocate, _book, _check_time, _ensure_lots, _key, _shortage


def record_handout(
    *,
    site: Site,
    lines: Mapping[str, int],
    recorded_by: User | None,
    household_size: int | None = None,
    household_type: str = HandoutHouseholdType.UNKNOWN,
    referral_consent: bool = False,
    note: str = "",
    occurred_at: datetime | None = None,
    condition_checked: bool = True,
) -> Handout:
    """Hand sets out at a window: ``lines`` maps pack type codes to quantities (``{"day3": 1, "day1": 1}``).

    One short transaction: writes the handout and its lines, locks the window's balance rows of the
    requested pack types in primary-key order, checks every line (FEFO over unexpired lots), and
    writes one ``handout`` movement per lot taken and the balances' update; on PostgreSQL all of it
    is one statement (``_hand_out_in_one_statement``). Raises InsufficientStock when any line is
    short and UnknownPackType for a code the food bank does not have; in both cases nothing is
    written. The caller checks that ``recorded_by`` is window staff of ``site``. No side effects
    beyond these rows (the referrals app reads ``referral_consent`` from the handout).
    ``condition_checked``: the sets were seen intact and in date; False is recorded as "not
    checked" (docs/traceability.md), nothing is refused.
    """
    if not lines:  # the one-statement insert would write a handout with no line
        raise ValidationError({"lines": _("Hand out at least one set.")})
    if household_type not in HandoutHouseholdType.values:
        raise ValidationError({"household": _("Unknown household type.")})
    today, now = timezone.localdate(), timezone.now()
    occurred_at = _check_time(occurred_at, now)
    handout = Handout(
        food_bank_id=site.food_bank_id,
        site=site,
        household_size=household_size,
        household_type=household_type,
        referral_consent=referral_consent,
        condition_checked=condition_checked,
        note=note,
        occurred_at=occurred_at,
        recorded_at=now,
        recorded_by=recorded_by,
    )
    with service_transaction():  # joins idempotent_create's transaction: no SAVEPOINT round trips
        if connection.vendor == "postgresql":
            line_list = _hand_out_in_one_statement(handout, lines, today=today)
        else:
            line_list = _hand_out_with_the_orm(handout, lines, today=today)
    # The answer is rendered from these (HandoutOut); the selectors set the same attribute with
    # Prefetch(to_attr=...), so it is not declared on the model (the plugin would refuse both).
    handout.line_list = line_list  # type: ignore[attr-defined]
    return handout


def _hand_out_with_the_orm(handout: Handout, lines: Mapping[str, int], *, today: date) -> list[HandoutLine]:
    """``record_handout`` on SQLite: the handout and its lines (rows no other handout touches), then
    the window's balance rows of those pack types locked last, FEFO over them, the movements and
    the balances' update. A refusal raises, and the transaction rolls all of it back."""
    pack_types = {
        pt.code: pt for pt in PackType.objects.filter(food_bank_id=handout.food_bank_id, code__in=list(lines))
    }
    unknown = [code for code in lines if code not in pack_types]
    if unknown:
        raise UnknownPackType(codes=unknown)
    handout.save(force_insert=True)
    line_list = HandoutLine.objects.bulk_create(
        [HandoutLine(handout=handout, pack_type=pack_types[code], quantity=q) for code, q in lines.items()]
    )
    ids = [pt.pk for pt in pack_types.values()]
    rows = locks.lock_balances(Balance.objects.filter(site_id=handout.site_id, pack_type_id__in=ids))
    by_pack_type: dict[int | None, list[Balance]] = defaultdict(list)
    for row in rows:
        by_pack_type[row.pack_type_id].append(row)
    plan, shortages = [], []
    for code, quantity in lines.items():
        allocations, available = _allocate(by_pack_type[pack_types[code].pk], quantity, today=today)
        if available < quantity:
            shortages.append(_shortage(code, quantity, available))
        plan.extend(allocations)
    if shortages:
        raise InsufficientStock(shortages=shortages)
    _book(
        plan,
        site=handout.site,
        kind=MovementKind.HANDOUT,
        occurred_at=handout.occurred_at,
        recorded_by=handout.recorded_by,
        handout=handout,
    )
    return line_list


def _hand_out_in_one_statement(
    handout: Handout, lines: Mapping[str, int], *, today: date
) -> list[HandoutLine]:
    """``record_handout`` on PostgreSQL: one statement (``_hand_out_sql``) does all of it, and is
    sent with the transaction's COMMIT when the transaction is the service's own (no
    ``Idempotency-Key``) or, with a key, when the statement also completes the key
    (``foodbank.idempotency.completion_sql``, ``foodbank.transactions.execute_then_commit``).

    Why one statement: 16 clients on one window queue on its balance rows. Locked from Python, they
    stayed locked while the answer travelled back, Python chose the lots and built the movements,
    and another round trip wrote them; here PostgreSQL locks them, chooses and writes at once, and
    commits in the same round trip (docs/benchmarks.md). A refusal (a code the food bank does not
    have, a shortage) writes nothing: every write in the statement is conditional on the
    statement's own check (with a key, the claim made in this transaction is deleted instead of
    completed), and the transaction then rolls back as usual, or was committed having written
    nothing."""
    params: dict[str, object] = {
        "codes": list(lines),
        "quantities": list(lines.values()),
        "today": today,
        "food_bank": handout.food_bank_id,
        "site": handout.site_id,
        "household_size": handout.household_size,
        "household_type": handout.household_type,
        "referral_consent": handout.referral_consent,
        "condition_checked": handout.condition_checked,
        "note": Handout._meta.get_field("note").get_db_prep_save(handout.note, connection),
        "occurred_at": handout.occurred_at,
        "recorded_at": handout.recorded_at,
        "recorded_by": handout.recorded_by_id,
    }
    shared = shared_values(
        StockMovement,
        columns=_MOVED_COLUMNS,
        same={
            "food_bank_id": handout.food_bank_id,
            "site_id": handout.site_id,
            "kind": MovementKind.HANDOUT,
            "occurred_at": handout.occurred_at,
            "recorded_by_id": handout.recorded_by_id,
        },
        connection=connection,
    )
    params.update({f"movement_{name}": value for name, value in shared.items()})
    # Run as the work of an Idempotency-Key, the statement completes the key too (or releases it when
    # refused), and goes with the COMMIT all the same.
    completion = completion_sql("new_handout")
    if completion is not None:
        params.update(completion[1])
    # One row per known code: (code, pack type id, available, line id, handout id); the last two
    # None when the statement refused (it wrote nothing).
    rows = execute_then_commit(
        _hand_out_sql(completion[0] if completion else ""), params, completes_caller=completion is not None
    )
    known = {code: rest for code, *rest in rows}
    handout_id = rows[0][4] if rows else None
    if handout_id is None:
        unknown = [code for code in lines if code not in known]
        if unknown:
            raise UnknownPackType(codes=unknown)
        raise InsufficientStock(
            shortages=[
                _shortage(code, quantity, known[code][1])
                for code, quantity in lines.items()
                if known[code][1] < quantity
            ]
        )
    handout.pk = handout_id
    handout._state.adding, handout._state.db = False, connection.alias
    line_list = []
    for code, quantity in lines.items():
        pack_type_id, _available, line_id, _handout = known[code]
        pack_type = PackType.from_db(
            connection.alias, ["id", "food_bank_id", "code"], [pack_type_id, handout.food_bank_id, code]
        )
        line = HandoutLine(pk=line_id, handout=handout, pack_type=pack_type, quantity=quantity)
        line._state.adding, line._state.db = False, connection.alias
        line_list.append(line)
    return line_list


# The movement's columns that come from the lots the statement takes; every other column is one
# value all the handout's movements share (``foodbank.bulk.shared_values``).
_MOVED_COLUMNS = ("item_id", "pack_type_id", "best_before", "lot_id", "quantity", "handout_id")


@functools.cache
def _hand_out_sql(completion: str = "") -> str:
    """A handout in one statement. Named parameters: ``record_handout``'s values, ``codes`` and
    ``quantities`` (the lines), ``today``, and ``movement_<field>`` for the movements' shared
    values; ``completion``: more queries of the statement (an ``Idempotency-Key``'s completion,
    ``foodbank.idempotency.completion_sql``, with its parameters). Answers one row per known code:
    code, pack type id, sets available, and the line's and the handout's ids (None when refused).

    FEFO here is ``ledger._allocate``'s rule (``_usable``, ``_fefo``) in SQL: lots with stock and
    not past their best-before date, earliest date first, undated last, then by id; each lot gives
    what the line still needs after the lots before it (``before``: their running total).
    ``tests/inventory/test_handout_statement.py`` holds the two to the same answers."""
    qn = connection.ops.quote_name
    handout, line, pack_type, balance, movement = (
        qn(m._meta.db_table) for m in (Handout, HandoutLine, PackType, Balance, StockMovement)
    )
    moved = {f.attname: f for f in StockMovement._meta.concrete_fields}
    shared = [name for name in moved if name not in _MOVED_COLUMNS and not moved[name].primary_key]
    movement_columns = ", ".join(qn(column_name(moved[name])) for name in (*shared, *_MOVED_COLUMNS))
    shared_values_sql = ", ".join(f"%(movement_{name})s" for name in shared)
    # new_lines: the lines' ids in the request's order, as bulk_create's. moved: in the lines'
    # order, each line's lots FEFO, as ledger._allocate takes them. On one line, so that psycopg
    # caches its parsing (one_line).
    return one_line(f"""
        WITH wanted AS (
            SELECT * FROM unnest(%(codes)s::text[], %(quantities)s::integer[])
                WITH ORDINALITY AS w(code, quantity, position)
        ), known AS (
            SELECT p.id, p.code, w.quantity, w.position FROM {pack_type} p JOIN wanted w ON w.code = p.code
            WHERE p.food_bank_id = %(food_bank)s
        ), locked AS (
            {locks.window_balances_sql("known")}
        ), usable AS (
            SELECT locked.*, sum(on_hand) OVER (
                PARTITION BY pack_type_id ORDER BY best_before ASC NULLS LAST, id
            ) - on_hand AS before
            FROM locked WHERE on_hand > 0 AND (best_before IS NULL OR best_before >= %(today)s)
        ), counted AS (
            SELECT known.id, known.code, known.quantity, known.position,
                coalesce(sum(usable.on_hand), 0) AS available
            FROM known LEFT JOIN usable ON usable.pack_type_id = known.id
            GROUP BY known.id, known.code, known.quantity, known.position
        ), granted AS (
            SELECT (SELECT count(*) FROM known) = (SELECT count(*) FROM wanted)
                AND NOT EXISTS (SELECT FROM counted WHERE available < quantity) AS ok
        ), new_handout AS (
            INSERT INTO {handout} (food_bank_id, site_id, household_size, household_type,
                referral_consent, condition_checked, note, occurred_at, recorded_at, recorded_by_id)
            SELECT %(food_bank)s, %(site)s, %(household_size)s, %(household_type)s,
                %(referral_consent)s, %(condition_checked)s, %(note)s, %(occurred_at)s, %(recorded_at)s,
                %(recorded_by)s
            FROM granted WHERE granted.ok
            RETURNING id
        ), new_lines AS (
            INSERT INTO {line} (handout_id, pack_type_id, quantity)
            SELECT new_handout.id, known.id, known.quantity FROM new_handout CROSS JOIN known
            ORDER BY known.position
            RETURNING id, pack_type_id, handout_id
        ), plan AS (
            SELECT usable.id, usable.item_id, usable.pack_type_id, usable.best_before, usable.lot_id,
                least(usable.on_hand, known.quantity - usable.before) AS take,
                known.position, usable.before
            FROM usable JOIN known ON known.id = usable.pack_type_id CROSS JOIN granted
            WHERE granted.ok AND usable.before < known.quantity
        ), moved AS (
            INSERT INTO {movement} ({movement_columns})
            SELECT {shared_values_sql}, plan.item_id, plan.pack_type_id, plan.best_before, plan.lot_id,
                -plan.take, new_handout.id
            FROM plan CROSS JOIN new_handout
            ORDER BY plan.position, plan.before
        ), taken AS (
            UPDATE {balance} b SET on_hand = b.on_hand - plan.take FROM plan WHERE b.id = plan.id
        ){f", {completion}" if completion else ""}
        SELECT counted.code, counted.id, counted.available, new_lines.id, new_lines.handout_id
        FROM counted LEFT JOIN new_lines ON new_lines.pack_type_id = counted.id
        ORDER BY counted.position
    """)  # noqa: S608  (table and column names from the models; every value is a parameter)


@transaction.atomic
def void_handout(*, handout_id: int, voided_by: User | None, reason: str = ReasonCode.ENTRY_ERROR) -> Handout:
    """Undo a handout logged by mistake: one ``correction`` movement reverses each of its movements,
    putting the sets back into the lots they came from. Locks the handout, then its lots (pk order).
    Voiding twice changes nothing."""
    handout = locks.lock_handout(handout_id)
    if handout.voided_at is not None:
        return handout
    originals = list(handout.movements.filter(kind=MovementKind.HANDOUT).select_related("site"))
    rows = _ensure_lots(site=handout.site, keys={_key(m) for m in originals})
    _reverse(originals, rows=rows, recorded_by=voided_by, reason=reason, handout=handout)
    handout.voided_at = timezone.now()
    handout.voided_by = voided_by if getattr(voided_by, "pk", None) else None
    handout.save(update_fields=["voided_at", "voided_by"])
    return handout


def erase_handout_notes(*, before: datetime) -> int:
    """Erase the free-text note of every handout that took place before ``before`` (the retention
    cutoff). Everything the reports count (site, household, lines, dates) stays. Returns how many
    notes were erased; a second run finds none."""
    return Handout.objects.filter(occurred_at__lt=before).exclude(note="").update(note="")
