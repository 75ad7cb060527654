"""Reference data: items, pack types, how a pack type is sized and its recipes."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from foodbank.models import Organisation

from ._common import FOOD_BANK_ONLY


class Item(models.Model):
    """A loose good: noodles, rice, canned fish, diapers by size, gas canisters …"""

    class Category(models.TextChoices):
        FOOD = "food", _("Food")
        DRINK = "drink", _("Drink")
        BABY = "baby", _("Baby care (diapers, formula)")
        HYGIENE = "hygiene", _("Hygiene")
        FUEL = "fuel", _("Fuel (gas canisters)")
        OTHER = "other", _("Other")

    food_bank = models.ForeignKey(
        Organisation,
        verbose_name=_("food bank"),
        on_delete=models.PROTECT,
        related_name="inventory_items",
        limit_choices_to=FOOD_BANK_ONLY,
    )
    code = models.SlugField(_("code"), max_length=64)
    name = models.CharField(_("name"), max_length=200)
    category = models.CharField(_("category"), max_length=16, choices=Category.choices, default=Category.FOOD)
    unit = models.CharField(_("unit"), max_length=32, default="個", help_text=_("e.g. 個, 袋, 缶, 本, 枚"))
    weight_kg = models.DecimalField(
        _("weight per unit (kg)"),
        max_digits=8,
        decimal_places=3,
        default=0,
        help_text=_("For tonnage reports."),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("item")
        verbose_name_plural = _("items")
        ordering = ["food_bank_id", "category", "name"]
        constraints = [
            models.UniqueConstraint(fields=["food_bank", "code"], name="item_code_unique_per_food_bank"),
            models.CheckConstraint(name="item_weight_not_negative", condition=Q(weight_kg__gte=0)),
        ]

    def __str__(self) -> str:
        return self.name


class PackType(models.Model):
    """A ready-made set: ``day1`` (1-day set), ``day3`` (3-day set), ``home`` (home parcel, a week).

    Its bill of contents is versioned in ``PackRecipe``; the newest version is the current one.
    """

    class Code(models.TextChoices):
        DAY1 = "day1", _("1-day set")
        DAY3 = "day3", _("3-day set")
        HOME = "home", _("Home parcel")

    food_bank = models.ForeignKey(
        Organisation,
        verbose_name=_("food bank"),
        on_delete=models.PROTECT,
        related_name="pack_types",
        limit_choices_to=FOOD_BANK_ONLY,
    )
    code = models.SlugField(_("code"), max_length=32, help_text=_("Stable API code: day1, day3, home."))
    name = models.CharField(_("name"), max_length=100)
    days = models.PositiveSmallIntegerField(_("days of food"))
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)
    # Pack types made without some allergens (e.g. 家庭向けパック（えび・かに不使用）) that a dispatch
    # batch may pack instead of this one for a household allergic to what this one's lots contain
    # (docs/traceability.md, allergen-aware packing). Same food bank only.
    alternatives = models.ManyToManyField(
        "self",
        verbose_name=_("allergen-free alternatives"),
        symmetrical=False,
        blank=True,
        related_name="alternative_of",
        help_text=_("Packed instead of this one for a household allergic to what this one contains."),
    )

    class Meta:
        verbose_name = _("pack type")
        verbose_name_plural = _("pack types")
        ordering = ["food_bank_id", "sort_order", "days", "code"]
        constraints = [
            models.UniqueConstraint(fields=["food_bank", "code"], name="pack_type_code_unique_per_food_bank"),
            models.CheckConstraint(name="pack_type_days_positive", condition=Q(days__gte=1)),
        ]

    def __str__(self) -> str:
        return self.name


class PackSizing(models.Model):
    """A food bank's rule for sizing a home delivery (``inventory.sizing``): one pack of this type
    feeds ``person_days`` person-days, and at most ``max_per_box`` of them fit one box. Without a
    row a pack feeds one person for its ``days`` and ``settings.PACKS_PER_BOX`` fit a box."""

    food_bank = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", limit_choices_to=FOOD_BANK_ONLY
    )
    pack_type = models.ForeignKey(
        PackType, verbose_name=_("pack type"), on_delete=models.CASCADE, related_name="sizing"
    )
    person_days = models.PositiveSmallIntegerField(
        _("person-days per pack"), help_text=_("How many days of food for one person one pack holds.")
    )
    max_per_box = models.PositiveSmallIntegerField(_("packs per box at most"), default=2)

    class Meta:
        verbose_name = _("pack sizing rule")
        verbose_name_plural = _("pack sizing rules")
        constraints = [
            models.UniqueConstraint(fields=["food_bank", "pack_type"], name="pack_sizing_unique"),
            models.CheckConstraint(name="pack_sizing_person_days_positive", condition=Q(person_days__gte=1)),
            models.CheckConstraint(name="pack_sizing_max_per_box_positive", condition=Q(max_per_box__gte=1)),
        ]

    def __str__(self) -> str:
        return f"{self.pack_type}: {self.person_days}"


class PackRecipe(models.Model):
    """One version of a pack type's bill of contents. Never changed once made: a new recipe is a new
    version, and packs assembled earlier keep the version they were made with (``Assembly.recipe``)."""

    pack_type = models.ForeignKey(
        PackType, verbose_name=_("pack type"), on_delete=models.PROTECT, related_name="recipes"
    )
    version = models.PositiveIntegerField(_("version"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("pack recipe")
        verbose_name_plural = _("pack recipes")
        ordering = ["pack_type_id", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["pack_type", "version"], name="pack_recipe_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.pack_type} v{self.version}"


class PackRecipeLine(models.Model):
    recipe = models.ForeignKey(PackRecipe, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("quantity"))

    class Meta:
        verbose_name = _("recipe line")
        verbose_name_plural = _("recipe lines")
        ordering = ["recipe_id", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["recipe", "item"], name="pack_recipe_line_unique_item"),
            models.CheckConstraint(name="pack_recipe_line_quantity_positive", condition=Q(quantity__gte=1)),
        ]

    def __str__(self) -> str:
        return f"{self.item} × {self.quantity}"
