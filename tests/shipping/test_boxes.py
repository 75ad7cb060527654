"""A parcel of several boxes divided box by box, as its boxes were counted (shipping.boxes)."""

import itertools
import math
from collections import Counter
from fractions import Fraction

import pytest

from shipping.boxes import split_into_boxes
from shipping.carriers import ContentLine, PackingNotes

HOME = ContentLine("1週間分セット", 1, "home", "home", per_box=2)
DAY3 = ContentLine("3日分セット", 1, "day3", "day3", per_box=2)
DAY1 = ContentLine("1日分セット", 1, "day1", "day1", per_box=2)
DIAPERS = ContentLine("紙おむつ M", 2, "", "diapers-m", item="diapers", size="M")


def line(base: ContentLine, quantity: int, per_box: int | None = None) -> ContentLine:
    return ContentLine(
        base.name, quantity, base.pack_type, base.code, per_box=base.per_box if per_box is None else per_box
    )


def totals(boxes) -> Counter:
    count: Counter = Counter()
    for box in boxes:
        for content in (*box.contents, *box.extras):
            count[content.key] += content.quantity
    return count


def boxes_counted(notes: PackingNotes) -> int:
    """How inventory.sizing counts a parcel's boxes: each pack fills 1/per_box of one."""
    return max(math.ceil(sum(Fraction(c.quantity, c.per_box) for c in notes.contents)), 1)


def test_a_one_box_parcel_is_one_box_with_everything():
    notes = PackingNotes(contents=(line(HOME, 1),), extras=(DIAPERS,), allergies="卵")
    (box,) = split_into_boxes(notes, 1)
    assert (box.number, box.of, box.contents, box.extras) == (1, 1, notes.contents, notes.extras)


def test_four_packs_two_to_a_box_fill_two_boxes_and_the_extras_go_in_the_last():
    notes = PackingNotes(contents=(line(HOME, 4),), extras=(DIAPERS,))
    first, second = split_into_boxes(notes, 2)
    assert [(c.code, c.quantity) for c in first.contents] == [("home", 2)]
    assert [(c.code, c.quantity) for c in second.contents] == [("home", 2)]
    assert (first.extras, second.extras) == ((), (DIAPERS,))
    assert [(b.number, b.of) for b in (first, second)] == [(1, 2), (2, 2)]


def test_box_one_is_filled_first_in_the_slips_order():
    # home × 3 and day3 × 1, two to a box: two boxes
    notes = PackingNotes(contents=(line(HOME, 3), line(DAY3, 1)))
    first, second = split_into_boxes(notes, 2)
    assert [(c.code, c.quantity) for c in first.contents] == [("home", 2)]
    assert [(c.code, c.quantity) for c in second.contents] == [("home", 1), ("day3", 1)]


def test_each_pack_type_fills_its_own_share_of_a_box_and_whole_lines_stay_together():
    # the food bank's rule of tests/inventory/test_sizing.py: home packs four to a box, the
    # others two; 3 home, 2 day3 and 1 day1 = 3/4 + 1 + 1/2 → three boxes
    notes = PackingNotes(contents=(line(HOME, 3, per_box=4), line(DAY3, 2), line(DAY1, 1)))
    assert boxes_counted(notes) == 3
    boxes = split_into_boxes(notes, 3)
    assert [[(c.code, c.quantity) for c in b.contents] for b in boxes] == [
        [("home", 3)],
        [("day3", 2)],
        [("day1", 1)],
    ]


@pytest.mark.parametrize("per_box", list(itertools.product((1, 2, 3, 4, 6), repeat=3)))
def test_every_pack_is_in_one_box_within_its_rule_and_no_box_is_empty(per_box):
    # every rule of up to six to a box for three pack types, and up to four packs of each: the
    # boxes counted as inventory.sizing counts them always hold the packs within the rule
    for quantities in itertools.product(range(5), repeat=3):
        if not any(quantities):
            continue
        notes = PackingNotes(
            contents=tuple(
                line(base, q, per_box=p)
                for base, q, p in zip((HOME, DAY3, DAY1), quantities, per_box, strict=True)
                if q
            ),
            extras=(DIAPERS,),
        )
        n = boxes_counted(notes)
        boxes = split_into_boxes(notes, n)
        assert len(boxes) == n
        assert totals(boxes) == Counter({c.key: c.quantity for c in (*notes.contents, *notes.extras)})
        for box in boxes:
            assert box.contents, (notes, boxes)
            assert sum(Fraction(c.quantity, c.per_box) for c in box.contents) <= 1, (notes, boxes)
        assert [b.extras for b in boxes] == [()] * (n - 1) + [(DIAPERS,)]


def test_lines_without_a_recorded_rule_are_spread_evenly():
    # booked before per_box was recorded: five packs in three boxes, two at most in each
    notes = PackingNotes(contents=(ContentLine("1週間分セット", 5, "home", "home"),))
    boxes = split_into_boxes(notes, 3)
    assert [b.contents[0].quantity for b in boxes] == [2, 2, 1]


def test_more_boxes_than_the_rule_needs_leaves_no_box_empty_while_one_has_two_packs():
    # the box count is what the labels say, even if the rule would need fewer
    notes = PackingNotes(contents=(line(HOME, 3, per_box=6),))
    boxes = split_into_boxes(notes, 2)
    assert [b.contents[0].quantity for b in boxes] == [2, 1]
    assert sum(c.quantity for b in boxes for c in b.contents) == 3


def test_fewer_boxes_than_the_rule_needs_loses_nothing():
    notes = PackingNotes(contents=(line(HOME, 5),))
    boxes = split_into_boxes(notes, 2)
    assert sum(c.quantity for b in boxes for c in b.contents) == 5
    assert len(boxes) == 2


def test_packs_that_first_fit_would_spill_still_fit_the_boxes_counted():
    # 1/2 + 1/3 × 2 + 1/4 × 3 = 23/12: two boxes (1/2 + 1/4 + 1/4, 1/3 + 1/3 + 1/4)
    notes = PackingNotes(
        contents=(line(HOME, 1, per_box=2), line(DAY3, 2, per_box=3), line(DAY1, 3, per_box=4))
    )
    boxes = split_into_boxes(notes, boxes_counted(notes))
    assert len(boxes) == 2
    assert all(sum(Fraction(c.quantity, c.per_box) for c in b.contents) <= 1 for b in boxes)
    assert totals(boxes) == Counter({c.key: c.quantity for c in notes.contents})
