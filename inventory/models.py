"""Stock of food at every site: items, pack types, the ledger of movements and the balances beside it.

The ledger (``StockMovement``) is append-only: a mistake is corrected by a reversing movement, never
by editing one. ``Balance`` holds the current stock per site, stock-keeping unit (an item or a pack
type) and best-before lot, and is changed only in the same transaction as the movements that explain
it (``inventory.services``). Invariants, checked by ``manage.py verify_stock_ledger``:

- for every lot, ``on_hand + reserved`` equals the sum of its movements' quantities;
- ``reserved`` equals the open reservations' quantities for that lot;
- neither ``on_hand`` nor ``reserved`` is ever negative (check constraints refuse it).

Stock in transit to a window is the lots of restock shipments that left the warehouse (``packed``)
and have not been received yet: it belongs to neither site's balance until the window confirms.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from foodbank.crypto import EncryptedTextField
from foodbank.models import HouseholdType, Organisation, Site

# Donors, lots, recalls and incidents live in their own module (docs/traceability.md).
from .lot_models import DateLabel, Donor, Incident, Lot, Recall, StorageClass  # noqa: F401 (re-exported)

FOOD_BANK_ONLY = {"kind": Organisation.Kind.FOOD_BANK}


class HandoutHouseholdType(models.TextChoices):
    """Household type of a handout: the shared codes plus ``unknown`` (not asked, not told), the
    default, because a tap must not invent a household. Reports count it as its own category."""

    UNKNOWN = "unknown", _("Not recorded")
    SINGLE = HouseholdType.SINGLE.value, HouseholdType.SINGLE.label
    SINGLE_PARENT = HouseholdType.SINGLE_PARENT.value, HouseholdType.SINGLE_PARENT.label
    COUPLE = HouseholdType.COUPLE.value, HouseholdType.COUPLE.label
    FAMILY = HouseholdType.FAMILY.value, HouseholdType.FAMILY.label
    ELDERLY = HouseholdType.ELDERLY.value, HouseholdType.ELDERLY.label
    OTHER = HouseholdType.OTHER.value, HouseholdType.OTHER.label


def _one_sku(prefix: str) -> models.CheckConstraint:
    """Exactly one of ``item`` and ``pack_type`` is set."""
    return models.CheckConstraint(
        name=f"{prefix}_item_xor_pack_type",
        condition=(
            Q(item__isnull=False, pack_type__isnull=True) | Q(item__isnull=True, pack_type__isnull=False)
        ),
    )


def _lot_constraints(prefix: str) -> list[models.UniqueConstraint]:
    """One row per (site, item or pack type, best-before, lot): a partial unique constraint for each
    combination of the nullable columns (NULLs would otherwise never collide)."""
    constraints = []
    for sku, short in (("item", "item"), ("pack_type", "pack")):
        for dated in (True, False):
            for lotted in (True, False):
                fields = ["site", sku] + (["best_before"] if dated else []) + (["lot"] if lotted else [])
                name = f"{prefix}_unique_{short}_{'lot' if dated else 'undated'}" + (
                    "_lotted" if lotted else ""
                )
                condition = Q(
                    **{f"{sku}__isnull": False, "best_before__isnull": not dated, "lot__isnull": not lotted}
                )
                constraints.append(models.UniqueConstraint(fields=fields, condition=condition, name=name))
    return constraints


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


class Balance(models.Model):
    """Current stock of one lot (site, item or pack type, best-before date).

    ``on_hand`` is free to hand out or pack; ``reserved`` is committed to a dispatch batch (a parcel
    or a restock shipment) and kept apart until it is packed or released. Both are physically at the
    site: their sum equals the lot's ledger sum. Changed only by ``inventory.services`` under a row
    lock, in the transaction that appends the movements.
    """

    food_bank = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey(Site, verbose_name=_("site"), on_delete=models.PROTECT, related_name="balances")
    item = models.ForeignKey(
        Item, verbose_name=_("item"), on_delete=models.PROTECT, null=True, blank=True, related_name="balances"
    )
    pack_type = models.ForeignKey(
        PackType,
        verbose_name=_("pack type"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="balances",
    )
    best_before = models.DateField(_("best before"), null=True, blank=True)
    # The lot's identity beyond item and date (docs/traceability.md); null for stock booked before lots.
    lot = models.ForeignKey(
        "inventory.Lot",
        verbose_name=_("lot"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    on_hand = models.IntegerField(_("on hand"), default=0)
    reserved = models.IntegerField(_("reserved"), default=0)

    class Meta:
        verbose_name = _("stock balance")
        verbose_name_plural = _("stock balances")
        ordering = ["site_id", "pack_type_id", "item_id", "best_before"]
        indexes = [
            models.Index(fields=["site", "pack_type"], name="balance_site_pack_type_idx"),
            models.Index(fields=["site", "item"], name="balance_site_item_idx"),
        ]
        constraints = [
            _one_sku("balance"),
            models.CheckConstraint(name="balance_on_hand_not_negative", condition=Q(on_hand__gte=0)),
            models.CheckConstraint(name="balance_reserved_not_negative", condition=Q(reserved__gte=0)),
            # One row per lot; "no best-before" (diapers, gas) and "no lot" are lots of their own.
            *_lot_constraints("balance"),
        ]

    def __str__(self) -> str:
        return f"{self.site} · {self.item or self.pack_type} · {self.best_before or '-'}: {self.on_hand}"

    @property
    def sku(self):
        return self.item or self.pack_type


class MovementKind(models.TextChoices):
    RECEIPT = "receipt", _("Donation received")
    ASSEMBLY_CONSUME = "assembly_consume", _("Used in assembly")
    ASSEMBLY_PRODUCE = "assembly_produce", _("Assembled")
    TRANSFER_OUT = "transfer_out", _("Transfer out")
    TRANSFER_IN = "transfer_in", _("Transfer in")
    HANDOUT = "handout", _("Handout")
    PARCEL_PACKING = "parcel_packing", _("Parcel packing")
    ADJUSTMENT = "adjustment", _("Stock-take adjustment")
    WRITE_OFF = "write_off", _("Write-off")
    CORRECTION = "correction", _("Correction (reversal)")
    QUARANTINE = "quarantine", _("Quarantined (recall)")
    LOT_RELABEL = "lot_relabel", _("Lot relabelled")


class ReasonCode(models.TextChoices):
    COUNT_DIFFERENCE = "count_difference", _("Count difference")
    EXPIRED = "expired", _("Expired")
    DAMAGED = "damaged", _("Damaged")
    RECALLED = "recalled", _("Recalled")
    LOST = "lost", _("Lost")
    FOUND = "found", _("Found")
    ENTRY_ERROR = "entry_error", _("Entry error")
    OTHER = "other", _("Other")


class StockMovement(models.Model):
    """One line of the append-only ledger: a signed change of one lot at one site.

    ``occurred_at`` is when it happened (a window may log a handout late), ``recorded_at`` when it was
    written. Exactly one of the links (receipt, assembly, handout, restock, reservation, stock-take)
    says why, except for stand-alone adjustments and write-offs, which carry a reason code.
    """

    food_bank = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey(Site, verbose_name=_("site"), on_delete=models.PROTECT, related_name="+")
    item = models.ForeignKey(
        Item, verbose_name=_("item"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    pack_type = models.ForeignKey(
        PackType,
        verbose_name=_("pack type"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    best_before = models.DateField(_("best before"), null=True, blank=True)
    lot = models.ForeignKey(
        "inventory.Lot",
        verbose_name=_("lot"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    quantity = models.IntegerField(_("quantity"), help_text=_("Positive in, negative out."))
    kind = models.CharField(_("kind"), max_length=20, choices=MovementKind.choices)
    reason = models.CharField(_("reason"), max_length=20, choices=ReasonCode.choices, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    reference = models.CharField(_("reference"), max_length=100, blank=True, db_index=True)
    occurred_at = models.DateTimeField(_("occurred at"))
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    receipt = models.ForeignKey(
        "DonationReceipt", on_delete=models.PROTECT, null=True, blank=True, related_name="movements"
    )
    assembly = models.ForeignKey(
        "Assembly", on_delete=models.PROTECT, null=True, blank=True, related_name="movements"
    )
    handout = models.ForeignKey(
        "Handout", on_delete=models.PROTECT, null=True, blank=True, related_name="movements"
    )
    restock = models.ForeignKey(
        "RestockShipment", on_delete=models.PROTECT, null=True, blank=True, related_name="movements"
    )
    reservation = models.ForeignKey(
        "Reservation", on_delete=models.PROTECT, null=True, blank=True, related_name="movements"
    )
    stock_take = models.ForeignKey(
        "StockTake", on_delete=models.PROTECT, null=True, blank=True, related_name="movements"
    )
    reverses = models.OneToOneField(
        "self",
        verbose_name=_("reverses"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
    )

    class Meta:
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")
        ordering = ["-occurred_at", "-pk"]
        indexes = [
            models.Index(fields=["site", "occurred_at"], name="movement_site_occurred_idx"),
            models.Index(fields=["food_bank", "kind", "occurred_at"], name="movement_kind_occurred_idx"),
        ]
        constraints = [
            _one_sku("movement"),
            models.CheckConstraint(name="movement_quantity_not_zero", condition=~Q(quantity=0)),
            models.CheckConstraint(
                name="movement_adjustment_has_reason",
                condition=~Q(kind__in=["adjustment", "write_off", "correction"]) | ~Q(reason=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.quantity:+d} {self.item or self.pack_type} @ {self.site}"


class DonationReceipt(models.Model):
    """Food donated in: who gave it (by donor type), how heavy, which items with which best-before."""

    class DonorType(models.TextChoices):
        COMPANY = "company", _("Company")
        FARM = "farm", _("Farm")
        RETAILER = "retailer", _("Retailer")
        STOCKPILE = "stockpile", _("Public stockpile (備蓄品)")
        INDIVIDUAL = "individual", _("Individual")
        FOOD_DRIVE = "food_drive", _("Food drive")

    food_bank = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey(Site, verbose_name=_("received at"), on_delete=models.PROTECT, related_name="+")
    donor_type = models.CharField(_("donor type"), max_length=16, choices=DonorType.choices)
    # The registered donor (docs/traceability.md); receipts from before the registry name none.
    donor = models.ForeignKey(
        "inventory.Donor",
        verbose_name=_("donor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="receipts",
    )
    # A company's or farm's name; left blank for private individuals (not needed, not kept).
    donor_name = models.CharField(_("donor"), max_length=200, blank=True)
    weight_kg = models.DecimalField(_("weight (kg)"), max_digits=10, decimal_places=2)
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    received_at = models.DateTimeField(_("received at"))
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Set when the ledger movements were written (receipts added in the admin are booked on save).
    booked_at = models.DateTimeField(_("booked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("donation receipt")
        verbose_name_plural = _("donation receipts")
        ordering = ["-received_at", "-pk"]
        indexes = [models.Index(fields=["food_bank", "received_at"], name="receipt_fb_received_idx")]
        constraints = [
            models.CheckConstraint(name="receipt_weight_not_negative", condition=Q(weight_kg__gte=0)),
            models.UniqueConstraint(
                fields=["food_bank", "reference"], condition=~Q(reference=""), name="receipt_reference_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_donor_type_display()} {self.weight_kg} kg ({self.received_at:%Y-%m-%d})"


class DonationReceiptLine(models.Model):
    """One donated product as inspected at intake (食品寄附ガイドライン). An accepted line is a lot
    (``lot``); a rejected one never enters stock."""

    class Condition(models.TextChoices):
        GOOD = "good", _("Good")
        OUTER_DAMAGE = "outer_damage", _("Outer box damaged, contents intact")
        DAMAGED = "damaged", _("Package damaged")

    class RejectReason(models.TextChoices):
        EXPIRED = "expired", _("Date passed or too close")
        DAMAGED = "damaged", _("Package damaged")
        TEMPERATURE = "temperature", _("Temperature not kept")
        UNLABELLED = "unlabelled", _("Label missing or unreadable")
        RECALLED = "recalled", _("Recalled by the maker")
        OTHER = "other", _("Other")

    receipt = models.ForeignKey(DonationReceipt, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("quantity"))
    best_before = models.DateField(_("date on the label"), null=True, blank=True)
    # Intake inspection (docs/traceability.md).
    product_name = models.CharField(_("product"), max_length=200, blank=True)
    jan_code = models.CharField(_("JAN code"), max_length=14, blank=True)
    weight_kg = models.DecimalField(_("weight (kg)"), max_digits=10, decimal_places=3, null=True, blank=True)
    date_label = models.CharField(
        _("date label"), max_length=16, choices=DateLabel.choices, default=DateLabel.BEST_BEFORE
    )
    storage = models.CharField(
        _("storage"), max_length=16, choices=StorageClass.choices, default=StorageClass.AMBIENT
    )
    allergens = models.JSONField(_("allergens"), default=list, blank=True)
    condition = models.CharField(
        _("condition"), max_length=16, choices=Condition.choices, default=Condition.GOOD
    )
    accepted = models.BooleanField(_("accepted"), default=True)
    reject_reason = models.CharField(
        _("reason for rejection"), max_length=16, choices=RejectReason.choices, blank=True
    )
    reject_note = models.CharField(_("note"), max_length=300, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("checked by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("receipt line")
        verbose_name_plural = _("receipt lines")
        ordering = ["receipt_id", "pk"]
        constraints = [
            models.CheckConstraint(name="receipt_line_quantity_positive", condition=Q(quantity__gte=1)),
            models.CheckConstraint(
                name="receipt_line_rejection_has_reason", condition=Q(accepted=True) | ~Q(reject_reason="")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item} × {self.quantity}"


class Assembly(models.Model):
    """Packs made in the warehouse from items, first-expiry-first-out, to the recipe of the day."""

    food_bank = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey(Site, verbose_name=_("warehouse"), on_delete=models.PROTECT, related_name="+")
    pack_type = models.ForeignKey(PackType, verbose_name=_("pack type"), on_delete=models.PROTECT)
    recipe = models.ForeignKey(PackRecipe, verbose_name=_("recipe"), on_delete=models.PROTECT)
    quantity = models.PositiveIntegerField(_("quantity"))
    # The earliest best-before among the items used: the packs' own best-before.
    best_before = models.DateField(_("best before"), null=True, blank=True)
    occurred_at = models.DateTimeField(_("assembled at"))
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("assembly")
        verbose_name_plural = _("assemblies")
        ordering = ["-occurred_at", "-pk"]
        constraints = [
            models.CheckConstraint(name="assembly_quantity_positive", condition=Q(quantity__gte=1)),
        ]

    def __str__(self) -> str:
        return f"{self.pack_type} × {self.quantity} ({self.recipe})"


class Handout(models.Model):
    """Sets handed over at a window. No name: a handout is anonymous (docs/spec.md §3.3)."""

    food_bank = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey(
        Site, verbose_name=_("window"), on_delete=models.PROTECT, related_name="handouts"
    )
    # Null and ``unknown``: not recorded (the form's default; a tap must not invent a household).
    household_size = models.PositiveSmallIntegerField(_("household size"), null=True, blank=True)
    household_type = models.CharField(
        _("household type"),
        max_length=16,
        choices=HandoutHouseholdType.choices,
        default=HandoutHouseholdType.UNKNOWN,
    )
    # Consent to be referred to a consultation service; the referrals app acts on it.
    referral_consent = models.BooleanField(_("consents to a referral"), default=False)
    # Free text written about a person in crisis: encrypted at rest.
    note = EncryptedTextField(_("note"), blank=True)
    occurred_at = models.DateTimeField(_("handed out at"))
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )
    # A handout logged by mistake is voided: reversing movements put the sets back.
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("handout")
        verbose_name_plural = _("handouts")
        ordering = ["-occurred_at", "-pk"]
        indexes = [
            models.Index(fields=["site", "-occurred_at"], name="handout_site_occurred_idx"),
            models.Index(fields=["food_bank", "occurred_at"], name="handout_fb_occurred_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                name="handout_household_size_positive", condition=Q(household_size__gte=1)
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.site} {self.occurred_at:%Y-%m-%d %H:%M}"


class HandoutLine(models.Model):
    handout = models.ForeignKey(Handout, on_delete=models.CASCADE, related_name="lines")
    pack_type = models.ForeignKey(PackType, verbose_name=_("pack type"), on_delete=models.PROTECT)
    quantity = models.PositiveSmallIntegerField(_("quantity"))

    class Meta:
        verbose_name = _("handout line")
        verbose_name_plural = _("handout lines")
        ordering = ["handout_id", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["handout", "pack_type"], name="handout_line_unique_pack_type"),
            models.CheckConstraint(name="handout_line_quantity_positive", condition=Q(quantity__gte=1)),
        ]

    def __str__(self) -> str:
        return f"{self.pack_type} × {self.quantity}"


class ParLevel(models.Model):
    """How many sets of a pack type a window should hold. The nightly job may raise it for a holiday
    peak (``seasonal_par`` until ``seasonal_until``) from the previous year's handouts."""

    food_bank = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey(
        Site, verbose_name=_("window"), on_delete=models.PROTECT, related_name="par_levels"
    )
    pack_type = models.ForeignKey(PackType, verbose_name=_("pack type"), on_delete=models.PROTECT)
    par = models.PositiveIntegerField(_("par level"))
    seasonal_par = models.PositiveIntegerField(_("holiday par level"), null=True, blank=True)
    seasonal_until = models.DateField(_("holiday par until"), null=True, blank=True)
    seasonal_label = models.CharField(_("holiday"), max_length=32, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("par level")
        verbose_name_plural = _("par levels")
        ordering = ["site_id", "pack_type_id"]
        constraints = [
            models.UniqueConstraint(fields=["site", "pack_type"], name="par_level_unique_site_pack_type"),
        ]

    def __str__(self) -> str:
        return f"{self.site} · {self.pack_type}: {self.par}"

    def effective_on(self, day) -> int:
        """The par that applies on ``day``: the holiday par while it lasts, if higher."""
        if self.seasonal_par is not None and self.seasonal_until and day <= self.seasonal_until:
            return max(self.par, self.seasonal_par)
        return self.par


class RestockShipment(models.Model):
    """Sets sent from the warehouse to a window.

    requested (by the window) or proposed (by the nightly job) → approved (coordinator) → booked
    (the shipping app put it into a dispatch batch; warehouse stock is reserved) → packed (left the
    warehouse: transfer_out; in transit) → received (the window confirmed: transfer_in).
    Cancelled is possible until packed.
    """

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        REQUESTED = "requested", _("Requested")
        APPROVED = "approved", _("Approved")
        BOOKED = "booked", _("Booked for dispatch")
        PACKED = "packed", _("In transit")
        RECEIVED = "received", _("Received")
        CANCELLED = "cancelled", _("Cancelled")

    OPEN = (Status.PROPOSED, Status.REQUESTED, Status.APPROVED, Status.BOOKED, Status.PACKED)

    class Origin(models.TextChoices):
        WINDOW = "window", _("Window request")
        NIGHTLY = "nightly", _("Nightly proposal")
        COORDINATOR = "coordinator", _("Coordinator")

    food_bank = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    from_site = models.ForeignKey(Site, verbose_name=_("from"), on_delete=models.PROTECT, related_name="+")
    to_site = models.ForeignKey(
        Site, verbose_name=_("to window"), on_delete=models.PROTECT, related_name="restock_shipments"
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    origin = models.CharField(_("origin"), max_length=16, choices=Origin.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)
    # Set by the shipping app when it books the shipment into a dispatch batch (opaque here).
    dispatch_reference = models.CharField(_("dispatch reference"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    booked_at = models.DateTimeField(_("booked at"), null=True, blank=True)
    packed_at = models.DateTimeField(_("packed at"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("restock shipment")
        verbose_name_plural = _("restock shipments")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["food_bank", "status"], name="restock_fb_status_idx")]
        constraints = [
            # The nightly job keeps at most one open proposal per window, and updates it in place.
            models.UniqueConstraint(
                fields=["to_site"], condition=Q(status="proposed"), name="restock_one_proposal_per_window"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} → {self.to_site} ({self.get_status_display()})"

    @property
    def reservation_reference(self) -> str:
        return f"restock:{self.pk}"


class RestockLine(models.Model):
    shipment = models.ForeignKey(RestockShipment, on_delete=models.CASCADE, related_name="lines")
    pack_type = models.ForeignKey(PackType, verbose_name=_("pack type"), on_delete=models.PROTECT)
    quantity = models.PositiveIntegerField(_("quantity"))

    class Meta:
        verbose_name = _("restock line")
        verbose_name_plural = _("restock lines")
        ordering = ["shipment_id", "pack_type_id"]
        constraints = [
            models.UniqueConstraint(fields=["shipment", "pack_type"], name="restock_line_unique_pack_type"),
            models.CheckConstraint(name="restock_line_quantity_positive", condition=Q(quantity__gte=1)),
        ]

    def __str__(self) -> str:
        return f"{self.pack_type} × {self.quantity}"


class Reservation(models.Model):
    """Stock set apart at a site for one dispatch (a parcel, a restock shipment), by reference.

    active → consumed (packed: the stock left) or released (voided, cancelled).
    """

    class State(models.TextChoices):
        ACTIVE = "active", _("Active")
        CONSUMED = "consumed", _("Consumed")
        RELEASED = "released", _("Released")

    food_bank = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    reference = models.CharField(_("reference"), max_length=100, unique=True)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.ACTIVE)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("reservation")
        verbose_name_plural = _("reservations")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.reference} ({self.get_state_display()})"


class ReservationLine(models.Model):
    """One lot set apart (FEFO). For a packed restock these are the lots in transit."""

    reservation = models.ForeignKey(Reservation, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    pack_type = models.ForeignKey(PackType, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    best_before = models.DateField(null=True, blank=True)
    lot = models.ForeignKey(
        "inventory.Lot", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    quantity = models.PositiveIntegerField()

    class Meta:
        ordering = ["reservation_id", "pk"]
        constraints = [
            _one_sku("reservation_line"),
            models.CheckConstraint(name="reservation_line_quantity_positive", condition=Q(quantity__gte=1)),
        ]

    def __str__(self) -> str:
        return f"{self.item or self.pack_type} × {self.quantity} ({self.best_before or '-'})"


class StockTake(models.Model):
    """A count of a site's stock by one person, confirmed by another; confirming books the
    differences as adjustments (with each line's reason)."""

    class Status(models.TextChoices):
        COUNTED = "counted", _("Counted, awaiting confirmation")
        CONFIRMED = "confirmed", _("Confirmed")
        CANCELLED = "cancelled", _("Cancelled")

    food_bank = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey(Site, verbose_name=_("site"), on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.COUNTED)
    note = models.CharField(_("note"), max_length=300, blank=True)
    counted_at = models.DateTimeField(_("counted at"))
    counted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("counted by"), on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("stock-take")
        verbose_name_plural = _("stock-takes")
        ordering = ["-counted_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="stock_take_four_eyes",
                condition=Q(confirmed_by__isnull=True) | ~Q(confirmed_by=models.F("counted_by")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.site} {self.counted_at:%Y-%m-%d} ({self.get_status_display()})"


class StockTakeLine(models.Model):
    """A counted lot. ``expected`` is the ledger's quantity (on hand + reserved) when it was counted;
    the difference ``counted - expected`` is what confirming books."""

    stock_take = models.ForeignKey(StockTake, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    pack_type = models.ForeignKey(PackType, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    best_before = models.DateField(_("best before"), null=True, blank=True)
    lot = models.ForeignKey(
        "inventory.Lot",
        verbose_name=_("lot"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    expected = models.IntegerField(_("expected"))
    counted = models.PositiveIntegerField(_("counted"))
    reason = models.CharField(_("reason"), max_length=20, choices=ReasonCode.choices, blank=True)

    class Meta:
        ordering = ["stock_take_id", "pk"]
        constraints = [_one_sku("stock_take_line")]

    def __str__(self) -> str:
        return f"{self.item or self.pack_type} {self.best_before or '-'}: {self.counted} ({self.expected})"

    @property
    def difference(self) -> int:
        return self.counted - self.expected


class ExpiryReport(models.Model):
    """The daily list of a site's stock that expires within ``INVENTORY_EXPIRY_WARNING_DAYS`` (or has
    expired). One row per site and day; running the job again rewrites the same row."""

    food_bank = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="expiry_reports")
    report_date = models.DateField(_("date"))
    within_days = models.PositiveSmallIntegerField(_("within days"))
    # [{"sku": "day3", "kind": "pack_type"|"item", "name", "best_before", "quantity", "expired"}]
    lines = models.JSONField(_("lines"), default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("expiry report")
        verbose_name_plural = _("expiry reports")
        ordering = ["-report_date", "site_id"]
        constraints = [
            models.UniqueConstraint(fields=["site", "report_date"], name="expiry_report_unique_site_day"),
        ]

    def __str__(self) -> str:
        return f"{self.site} {self.report_date}: {len(self.lines)}"
