"""factory_boy factories for the inventory's reference data."""

import factory

from inventory.models import Item, PackType


class ItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Item
        django_get_or_create = ["food_bank", "code"]

    code = factory.Sequence(lambda n: f"item-{n}")
    name = factory.Sequence(lambda n: f"品目{n}")
    category = Item.Category.FOOD
    unit = "個"
    weight_kg = "0.200"


class PackTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PackType
        django_get_or_create = ["food_bank", "code"]

    code = "day1"
    name = "1日分セット"
    days = 1
