"""How much food a home delivery holds: the household's people × the days asked, in packs, under
the food bank's rule (``PackSizing`` rows; docs/journeys.md "Contents sized to the household").

The rule: each pack type feeds a number of person-days (by default one person for the pack's own
``days``: a 7-day home pack feeds one person a week), and at most so many packs fit one box. The
need is ``people × days`` person-days; it is met with the largest packs first and topped up with the
smallest pack that covers what is left, so a parcel never holds less than was asked.
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings

from .models import PackSizing, PackType


@dataclass(frozen=True, slots=True)
class PackSize:
    pack_type: PackType
    person_days: int
    max_per_box: int


@dataclass(frozen=True, slots=True)
class Sizing:
    """What one household gets: ``lines`` of (pack type, quantity), and how many boxes they fill."""

    lines: tuple[tuple[PackType, int], ...]
    boxes: int
    person_days: int  # the need: people × days

    @property
    def packs(self) -> int:
        return sum(q for _p, q in self.lines)


def rule_for(
    *, food_bank_id: int, pack_types: Iterable[PackType] | None = None, with_alternatives: bool = False
) -> list[PackSize]:
    """The food bank's rule, one entry per active pack type (largest first); one query for the rows
    and one for the pack types (or, when they are given, for which of them are alternatives).

    A pack type that is an allergen-free alternative of an active one (``PackType.alternatives``)
    is left out unless ``with_alternatives``: ordinary parcels get the pack type asked for, and only
    the batch's reservation picks the alternative, for a household with allergies
    (docs/traceability.md). An alternative whose pack types are all inactive sizes like any other.
    """
    if pack_types is None:
        pack_types = PackType.objects.filter(food_bank_id=food_bank_id, active=True)
        if not with_alternatives:
            pack_types = pack_types.exclude(alternative_of__active=True)
    elif not with_alternatives:
        alternative_ids = set(
            PackType.alternatives.through.objects.filter(
                from_packtype__food_bank_id=food_bank_id, from_packtype__active=True
            ).values_list("to_packtype_id", flat=True)
        )
        pack_types = [p for p in pack_types if p.pk not in alternative_ids]
    rows = {r.pack_type_id: r for r in PackSizing.objects.filter(food_bank_id=food_bank_id)}
    default_per_box = settings.PACKS_PER_BOX
    sizes = [
        PackSize(
            pack_type=p,
            person_days=rows[p.pk].person_days if p.pk in rows else p.days,
            max_per_box=rows[p.pk].max_per_box if p.pk in rows else default_per_box,
        )
        for p in pack_types
    ]
    return sorted(sizes, key=lambda s: (-s.person_days, s.pack_type.code))


def size_for(*, people: int, days: int, rule: list[PackSize]) -> Sizing:
    """Packs for ``people`` people for ``days`` days under ``rule`` (from ``rule_for``). Pure."""
    need = max(people, 1) * max(days, 1)
    if not rule:
        return Sizing(lines=(), boxes=0, person_days=need)
    counts: dict[int, int] = {}
    left = need
    for size in rule:  # largest first
        n = left // size.person_days
        if n:
            counts[size.pack_type.pk] = n
            left -= n * size.person_days
    if left > 0:
        covering = [s for s in rule if s.person_days >= left]
        top_up = min(covering, key=lambda s: s.person_days) if covering else rule[-1]
        counts[top_up.pack_type.pk] = counts.get(top_up.pack_type.pk, 0) + 1
    by_pk = {s.pack_type.pk: s for s in rule}
    lines = tuple((by_pk[pk].pack_type, n) for pk, n in counts.items())
    # Boxes: each pack type fills its share of a box (3 of 6 packs per box = half a box).
    boxes = math.ceil(sum(n / by_pk[pk].max_per_box for pk, n in counts.items()) - 1e-9)
    return Sizing(lines=lines, boxes=max(boxes, 1), person_days=need)


def set_rule(*, food_bank_id: int, values: dict[PackType, tuple[int, int]]) -> list[PackType]:
    """Set the food bank's rule: ``values`` maps each of its pack types to (person-days per pack,
    packs per box at most), both from 1. Writes a row only where the rule changes (a pack type
    without a row follows the defaults, so saving the defaults writes nothing); returns the pack
    types whose rule changed. Callers hold the transaction and record the change (console)."""
    if any(p.food_bank_id != food_bank_id for p in values):
        raise ValueError("a pack type of another food bank")
    if any(person_days < 1 or per_box < 1 for person_days, per_box in values.values()):
        raise ValueError("person-days and packs per box are at least 1")
    current = {
        s.pack_type.pk: s
        for s in rule_for(food_bank_id=food_bank_id, pack_types=list(values), with_alternatives=True)
    }
    changed = []
    for pack_type, (person_days, per_box) in values.items():
        now = current[pack_type.pk]
        if (now.person_days, now.max_per_box) == (person_days, per_box):
            continue
        PackSizing.objects.update_or_create(
            food_bank_id=food_bank_id,
            pack_type=pack_type,
            defaults={"person_days": person_days, "max_per_box": per_box},
        )
        changed.append(pack_type)
    return changed
