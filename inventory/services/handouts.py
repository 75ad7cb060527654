"""Handouts at a window: recording one, voiding one logged by mistake, and erasing old notes
(called by ``referrals.retention``).
"""

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from foodbank.models import Site
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
    StockMovement,
)
from .corrections import _reverse
from .ledger import _allocate, _check_time, _ensure_lots, _key, _movement, _shortage, _update_balances


def record_handout(
    *,
    site: Site,
    lines: Mapping[str, int],
    recorded_by,
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
    if household_type not in HandoutHouseholdType.values:
        raise ValidationError({"household": _("Unknown household type.")})
    today, now = timezone.localdate(), timezone.now()
    occurred_at = _check_time(occurred_at, now)
    with service_transaction():  # joins idempotent_create's transaction: no SAVEPOINT round trips
        # First what needs no lock: the pack types (which also tells an unknown code), the handout
        # and its lines, rows no other handout touches. The window's balance rows are locked last, so
        # concurrent handouts at one window wait only for the FEFO check, the movements and the
        # UPDATE of another, not for its whole transaction. A refusal rolls all of it back.
        pack_types = {
            pt.code: pt
            for pt in PackType.objects.filter(food_bank_id=site.food_bank_id, code__in=list(lines))
        }
        unknown = [code for code in lines if code not in pack_types]
        if unknown:
            raise UnknownPackType(codes=unknown)
        handout = Handout.objects.create(
            food_bank_id=site.food_bank_id,
            site=site,
            household_size=household_size,
            household_type=household_type,
            referral_consent=referral_consent,
            condition_checked=condition_checked,
            note=note,
            occurred_at=occurred_at,
            recorded_by=recorded_by,
        )
        handout.line_list = HandoutLine.objects.bulk_create(
            [
                HandoutLine(handout=handout, pack_type=pack_types[code], quantity=q)
                for code, q in lines.items()
            ]
        )
        rows = locks.lock_balances(
            Balance.objects.filter(site=site, pack_type_id__in=[pt.pk for pt in pack_types.values()])
        )
        by_code: dict[str, list[Balance]] = defaultdict(list)
        codes = {pt.pk: code for code, pt in pack_types.items()}
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
        StockMovement.objects.bulk_create(
            [
                _movement(
                    site=site,
                    key=_key(row),
                    quantity=-q,
                    kind=MovementKind.HANDOUT,
                    occurred_at=occurred_at,
                    recorded_by=recorded_by,
                    handout=handout,
                )
                for row, q in plan
            ]
        )
        _update_balances({row.pk: (-q, 0) for row, q in plan})
    return handout


@transaction.atomic
def void_handout(*, handout_id: int, voided_by, reason: str = ReasonCode.ENTRY_ERROR) -> Handout:
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
