"""What goes into each box of a parcel of several boxes (docs/shipping.md, "Several boxes").

Booking sizes a household's food under the food bank's rule (``inventory.sizing``): a pack of a
type of which at most ``max_per_box`` fit a box fills ``1/max_per_box`` of it, and the parcel has as
many boxes as those shares add up to, rounded up. The per-box slips and the packing station split the
parcel's packs the same way, from the ``per_box`` each content line recorded at booking: box 1 is
filled first, in the order of the slip, each box up to its rule, so there are exactly ``count``
boxes (one per label and carrier row) and none is empty. Extras (diapers, formula …) were not
counted in the boxes: they go in the last box, the one with the most room.

Pure: no database, no settings.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

from .carriers.base import ContentLine, PackingNotes


@dataclass(frozen=True, slots=True)
class Box:
    """Box ``number`` of ``of``, and what goes into it."""

    number: int  # from 1
    of: int
    contents: tuple[ContentLine, ...]
    extras: tuple[ContentLine, ...] = ()


def split_into_boxes(notes: PackingNotes, boxes: int) -> tuple[Box, ...]:
    """The parcel's ``notes.contents`` and ``notes.extras`` divided into ``boxes`` boxes (at least one).

    Every pack is in exactly one box, so the boxes' quantities add up to the parcel's. A line without
    a recorded ``per_box`` (parcels booked before it was recorded, restocks) counts as one of
    ``ceil(packs / boxes)`` to a box, which always fits."""
    boxes = max(boxes, 1)
    if boxes == 1:
        return (Box(1, 1, notes.contents, notes.extras),)
    lines = notes.contents
    packs = sum(max(line.quantity, 0) for line in lines)
    even = max(math.ceil(packs / boxes), 1)
    rules = [line.per_box if line.per_box > 0 else even for line in lines]
    # A box is ``whole`` parts, and a pack of a type of which ``rule`` fit a box is ``whole // rule``
    # of them: each share 1/rule exactly, in integers (with Python's fractions the split was a sixth
    # of a batch's packing slips, docs/benchmarks.md).
    whole = math.lcm(*rules)
    shares = [whole // rule for rule in rules]
    # One entry per pack: (line index, share of a box), in the slip's order.
    units = [(i, shares[i]) for i, line in enumerate(lines) for _ in range(max(line.quantity, 0))]
    # Box by box in the slip's order when that fits (whole lines stay together); else a search
    # (first fit may fail where a packing exists: 1/2, 1/3 × 2, 1/4 × 3 fit two boxes).
    placed = _first_fit(units, boxes, whole) or _search(units, boxes, whole)
    if placed is None:
        # Only when the box count was not derived from these packs' rule: the box count is what the
        # labels say, so a pack that fits nowhere goes into the box with the most room.
        placed = _first_fit(units, boxes, whole, overflow=True)
        assert placed is not None  # noqa: S101 (overflow always places)
    _fill_empty(placed)
    out = []
    for n, box in enumerate(placed, start=1):
        counts: dict[int, int] = {}
        for i, _share in box:
            counts[i] = counts.get(i, 0) + 1
        contents = tuple(
            lines[i] if counts[i] == lines[i].quantity else replace(lines[i], quantity=counts[i])
            for i in sorted(counts)
        )
        out.append(Box(n, boxes, contents, notes.extras if n == boxes else ()))
    return tuple(out)


def packing_notes(parcel) -> PackingNotes:
    """The contents and extras of a ``Parcel`` row's packing data (no other field read: the
    station and the API use it without loading the label)."""
    packing = parcel.packing or {}
    return PackingNotes(
        contents=tuple(ContentLine(**line) for line in packing.get("contents", ())),
        extras=tuple(ContentLine(**line) for line in packing.get("extras", ())),
    )


def _first_fit(
    units: Sequence[tuple[int, int]], boxes: int, whole: int, *, overflow: bool = False
) -> list[list[tuple[int, int]]] | None:
    """Each unit into the first box it fits in (None if one fits nowhere, unless ``overflow``)."""
    placed: list[list[tuple[int, int]]] = [[] for _ in range(boxes)]
    filled = [0] * boxes
    for unit in units:
        target = next((b for b in range(boxes) if filled[b] + unit[1] <= whole), None)
        if target is None:
            if not overflow:
                return None
            target = min(range(boxes), key=lambda b: (filled[b], b))
        placed[target].append(unit)
        filled[target] += unit[1]
    return placed


# A household's packs are a few dozen at most; the search stops (and packs overflow) past this.
_SEARCH_STEPS = 20_000


def _search(units: Sequence[tuple[int, int]], boxes: int, whole: int) -> list[list[tuple[int, int]]] | None:
    """Every unit in a box within its rule, largest shares first, by backtracking (None if there is
    no such packing or it takes too long to find)."""
    order = sorted(units, key=lambda u: (-u[1], u[0]))
    filled = [0] * boxes
    where = [0] * len(order)
    steps = 0

    def place(k: int) -> bool:
        nonlocal steps
        if k == len(order):
            return True
        steps += 1
        if steps > _SEARCH_STEPS:
            return False
        share = order[k][1]
        # The same pack as the one before goes into that box or a later one; boxes as full as one
        # already tried are the same choice.
        first = where[k - 1] if k and order[k - 1] == order[k] else 0
        tried: set[int] = set()
        for b in range(first, boxes):
            if filled[b] in tried or filled[b] + share > whole:
                continue
            tried.add(filled[b])
            filled[b] += share
            where[k] = b
            if place(k + 1):
                return True
            filled[b] -= share
        return False

    if not place(0):
        return None
    placed: list[list[tuple[int, int]]] = [[] for _ in range(boxes)]
    for unit, b in sorted(zip(order, where, strict=True), key=lambda x: x[0][0]):
        placed[b].append(unit)
    return placed


def _fill_empty(placed: list[list[tuple[int, int]]]) -> None:
    """No empty box while another holds two packs or more: a label with nothing behind it would go
    out (only with data the rule did not produce)."""
    for empty in placed:
        if empty:
            continue
        fullest = max(placed, key=len)
        if len(fullest) < 2:
            return
        empty.append(fullest.pop())
