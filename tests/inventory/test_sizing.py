"""Contents sized to the household: people × days in packs, under the food bank's rule."""

import pytest

from inventory.models import PackSizing
from inventory.sizing import rule_for, size_for

pytestmark = pytest.mark.django_db


def _lines(sizing) -> list[tuple[str, int]]:
    return sorted((pack_type.code, n) for pack_type, n in sizing.lines)


def test_by_default_a_pack_feeds_one_person_for_its_days(network, catalogue, settings):
    settings.PACKS_PER_BOX = 2
    rule = rule_for(food_bank_id=network.food_bank.pk)

    one_week = size_for(people=1, days=7, rule=rule)
    three_days = size_for(people=1, days=3, rule=rule)
    family = size_for(people=5, days=14, rule=rule)

    assert (_lines(one_week), one_week.boxes) == ([("home", 1)], 1)
    assert (_lines(three_days), three_days.boxes) == ([("day3", 1)], 1)
    assert (_lines(family), family.boxes, family.person_days) == ([("home", 10)], 5, 70)


def test_what_is_left_is_topped_up_with_the_smallest_pack_that_covers_it(network, catalogue):
    rule = rule_for(food_bank_id=network.food_bank.pk)

    # 2 people × 5 days = 10 person-days: one home pack (7), then 3 left → one 3-day set
    assert _lines(size_for(people=2, days=5, rule=rule)) == [("day3", 1), ("home", 1)]
    # 1 person × 9 days: a home pack (7), then two 1-day sets (the largest that fit, exactly)
    assert _lines(size_for(people=1, days=9, rule=rule)) == [("day1", 2), ("home", 1)]


def test_a_food_bank_sets_its_own_rule(network, catalogue):
    # given a food bank whose home pack feeds a family of three for a week, four to a box
    PackSizing.objects.create(
        food_bank=network.food_bank, pack_type=catalogue.home, person_days=21, max_per_box=4
    )
    rule = rule_for(food_bank_id=network.food_bank.pk)

    # then a family of five for 14 days (70 person-days) gets 3 home packs (63), two 3-day sets
    # and a 1-day set, in three boxes: 3/4 of a box of home packs, 2/2 and 1/2 (default 2 a box)
    family = size_for(people=5, days=14, rule=rule)
    assert _lines(family) == [("day1", 1), ("day3", 2), ("home", 3)]
    assert family.boxes == 3


def test_an_allergen_free_alternative_is_not_used_to_size_ordinary_parcels(network, catalogue, coordinator):
    from inventory import services

    # Given a 家庭向けパック（えび不使用） that is only the alternative of 家庭向けパック; it feeds more
    # person-days, so the rule would otherwise take it first
    alt = services.upsert_pack_type(
        food_bank=network.food_bank, code="a-home-noebi", name="家庭向けパック（えび不使用）", days=14
    )
    services.set_pack_type_alternatives(pack_type=catalogue.home, alternatives=[alt])

    # When the rule is read (with or without the pack types given)
    rule = rule_for(food_bank_id=network.food_bank.pk)
    given = rule_for(
        food_bank_id=network.food_bank.pk, pack_types=[catalogue.day1, catalogue.day3, catalogue.home, alt]
    )

    # Then it sizes households with the usual pack types only
    assert [s.pack_type.code for s in rule] == ["home", "day3", "day1"]
    assert [s.pack_type.code for s in given] == ["home", "day3", "day1"]
    assert _lines(size_for(people=2, days=7, rule=rule)) == [("home", 2)]
    # while the console's rule still lists it (its own sizing may be set)
    assert alt in [s.pack_type for s in rule_for(food_bank_id=network.food_bank.pk, with_alternatives=True)]
    # and once its pack type is retired, it sizes like any other
    catalogue.home.active = False
    catalogue.home.save(update_fields=["active"])
    assert [s.pack_type.code for s in rule_for(food_bank_id=network.food_bank.pk)] == [
        "a-home-noebi",
        "day3",
        "day1",
    ]
