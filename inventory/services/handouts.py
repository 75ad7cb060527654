"""Handouts at a window: recording one, voiding one logged by mistake, and erasing old notes
(called by ``referrals.retention``).
"""

import functools
from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from foodbank.models import Site
from foodbank.prepared import fetch_together
from foodbank.transactions import service_transaction

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

    One short transaction: writes the handout and its lines, then locks the window's balance rows of
    the requested pack types with one ``SELECT … FOR UPDATE`` in primary-key order, checks every line
    (FEFO over unexpired lots), and writes one ``handout`` movement per lot taken and one UPDATE of
    the balances. Raises InsufficientStock when any line is short and UnknownPackType for
    a code the food bank does not have; in both cases nothing is written. The caller checks that
    ``recorded_by`` is window staff of ``site``. No side effects beyond these rows (the referrals app
    reads ``referral_consent`` from the handout). ``condition_checked``: the sets were seen intact
    and in date; False is recorded as "not checked" (docs/traceability.md), nothing is refused.
    """
    if not lines:  # the one-statement insert would write a handout with no line
        raise ValidationError({"lines": _("Hand out at least one set.")})
    if household_type not in HandoutHouseholdType.values:
        raise ValidationError({"household": _("Unknown household type.")})
    today, now = timezone.localdate(), timezone.now()
    occurred_at = _check_time(occurred_at, now)
    with service_transaction():  # joins idempotent_create's transaction: no SAVEPOINT round trips
        # First what needs no lock: the pack types (which also tells an unknown code), the handout
        # and its lines, rows no other handout touches. The window's balance rows are locked last, so
        # concurrent handouts at one window wait only for the FEFO check, the movements and the
        # UPDATE of another, not for its whole transaction. A refusal rolls all of it back.
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
        pack_types, rows = _write_handout(handout, lines)
        by_code: dict[str, list[Balance]] = defaultdict(list)
        codes: dict[int | None, str] = {pt.pk: code for code, pt in pack_types.items()}
        for row in rows:
            by_code[codes[row.pack_type_id]].append(row)
        plan, shortages = [], []
        for code, quantity in lines.items():
            allocations, available = _allocate(by_code.get(code, []), quantity, today=today)
            if available < quantity:
                shortages.append(_shortage(code, quantity, available))
            plan.extend(allocations)
        if shortages:
            raise InsufficientStock(shortages=shortages)
        _book(
            plan,
            site=site,
            kind=MovementKind.HANDOUT,
            occurred_at=occurred_at,
            recorded_by=recorded_by,
            handout=handout,
            # The service's last statement: sent with the COMMIT when the transaction is the
            # service's own (no Idempotency-Key), so the lock goes with it.
            then_commit=True,
        )
    return handout


def _write_handout(handout: Handout, lines: Mapping[str, int]) -> tuple[dict[str, PackType], list[Balance]]:
    """Insert ``handout`` and its lines (``handout.line_list``, in the order of ``lines``), then lock
    the window's balance rows of those pack types; returns the food bank's pack types by code and
    the locked rows. Raises UnknownPackType, writing nothing, for a code the food bank does not
    have.

    On PostgreSQL one round trip: one statement (``_handout_sql``) reads the pack types and
    inserts the handout and its lines, the handout only when every code is known, and the window's
    lock (``locks.window_balances_sql``) follows it (``foodbank.prepared.fetch_together``): one
    round trip instead of four, and no ORM compilation on the hot path (docs/benchmarks.md).
    Elsewhere (SQLite) the ORM."""
    if connection.vendor != "postgresql":
        pack_types = {
            pt.code: pt
            for pt in PackType.objects.filter(food_bank_id=handout.food_bank_id, code__in=list(lines))
        }
        unknown = [code for code in lines if code not in pack_types]
        if unknown:
            raise UnknownPackType(codes=unknown)
        handout.save(force_insert=True)
        line_list = HandoutLine.objects.bulk_create(
            [
                HandoutLine(handout=handout, pack_type=pack_types[code], quantity=q)
                for code, q in lines.items()
            ]
        )
        rows = locks.lock_balances(
            Balance.objects.filter(
                site_id=handout.site_id, pack_type_id__in=[pt.pk for pt in pack_types.values()]
            )
        )
    else:
        pack_types, line_list, rows = _insert_handout(handout, lines)
    # The answer is rendered from these (HandoutOut); the selectors set the same attribute with
    # Prefetch(to_attr=...), so it is not declared on the model (the plugin would refuse both).
    handout.line_list = line_list  # type: ignore[attr-defined]
    return pack_types, rows


def _insert_handout(
    handout: Handout, lines: Mapping[str, int]
) -> tuple[dict[str, PackType], list[HandoutLine], list[Balance]]:
    """``_write_handout`` on PostgreSQL: the insert and the lock in one round trip."""
    note = Handout._meta.get_field("note")
    params = {
        "codes": list(lines),
        "quantities": list(lines.values()),
        "food_bank": handout.food_bank_id,
        "site": handout.site_id,
        "household_size": handout.household_size,
        "household_type": handout.household_type,
        "referral_consent": handout.referral_consent,
        "condition_checked": handout.condition_checked,
        "note": note.get_db_prep_save(handout.note, connection),
        "occurred_at": handout.occurred_at,
        "recorded_at": handout.recorded_at,
        "recorded_by": handout.recorded_by_id,
    }
    # The window's rows, locked in primary-key order, in the same round trip: the lock's statement
    # runs even when a code was unknown, and the refusal below rolls the transaction (and the lock)
    # back.
    rows, locked = fetch_together(
        connection, [(_handout_sql(), params), (locks.window_balances_sql(), params)]
    )
    balances = [Balance.from_db(connection.alias, locks.WINDOW_BALANCE_FIELDS, row) for row in locked]
    # One row per known code: (code, pack type id, line id, handout id), the ids None when a code
    # was unknown (nothing inserted).
    known = {code: (pack_type_id, line_id, handout_id) for code, pack_type_id, line_id, handout_id in rows}
    unknown = [code for code in lines if code not in known]
    if unknown:
        raise UnknownPackType(codes=unknown)
    handout.pk = rows[0][3]
    handout._state.adding, handout._state.db = False, connection.alias
    pack_types = {
        code: PackType.from_db(
            connection.alias, ["id", "food_bank_id", "code"], [pk, handout.food_bank_id, code]
        )
        for code, (pk, _line, _h) in known.items()
    }
    line_list = [
        HandoutLine(pk=known[code][1], handout=handout, pack_type=pack_types[code], quantity=quantity)
        for code, quantity in lines.items()
    ]
    for line in line_list:
        line._state.adding, line._state.db = False, connection.alias
    return pack_types, line_list, balances


@functools.cache
def _handout_sql() -> str:
    """The pack types of the codes, the handout (only when every code is known: the count) and one
    line per code, in one statement; answers one row per known code."""
    handout, line, pack_type = (
        connection.ops.quote_name(m._meta.db_table) for m in (Handout, HandoutLine, PackType)
    )
    return f"""
        WITH wanted AS (
            SELECT * FROM unnest(%(codes)s::text[], %(quantities)s::integer[])
                WITH ORDINALITY AS w(code, quantity, position)
        ), known AS (
            SELECT p.id, p.code, w.quantity, w.position FROM {pack_type} p JOIN wanted w ON w.code = p.code
            WHERE p.food_bank_id = %(food_bank)s
        ), new_handout AS (
            INSERT INTO {handout} (food_bank_id, site_id, household_size, household_type,
                referral_consent, condition_checked, note, occurred_at, recorded_at, recorded_by_id)
            SELECT %(food_bank)s, %(site)s, %(household_size)s, %(household_type)s,
                %(referral_consent)s, %(condition_checked)s, %(note)s, %(occurred_at)s, %(recorded_at)s,
                %(recorded_by)s
            WHERE (SELECT count(*) FROM known) = (SELECT count(*) FROM wanted)
            RETURNING id
        ), new_lines AS (
            INSERT INTO {line} (handout_id, pack_type_id, quantity)
            SELECT new_handout.id, known.id, known.quantity FROM new_handout CROSS JOIN known
            ORDER BY known.position  -- the lines' ids in the request's order, as bulk_create's
            RETURNING id, pack_type_id, handout_id
        )
        SELECT known.code, known.id, new_lines.id, new_lines.handout_id
        FROM known LEFT JOIN new_lines ON new_lines.pack_type_id = known.id
    """  # noqa: S608  (table names from the models; every value is a parameter)


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
