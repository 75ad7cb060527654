"""Models of food safety and traceability (docs/traceability.md): donors, lots, recalls, incidents.

Kept apart from ``inventory.models`` (which imports this module, so Django registers them in the
``inventory`` app). A **lot** is the identity the ledger keeps beside item and best-before:

- a *donation* lot for each accepted donation line (its donor, date label, storage, allergens);
- a *pack* lot for each assembly (its components are the assembly's consume movements);
- an *unknown* lot per food bank, stock-keeping unit and best-before, for stock that was in the
  ledger before lots existed (migration 0005 moved it there with ``lot_relabel`` movements).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from foodbank.crypto import EncryptedTextField
from foodbank.models import Organisation

from . import allergens


class DateLabel(models.TextChoices):
    BEST_BEFORE = "best_before", _("Best before (賞味期限)")
    USE_BY = "use_by", _("Use by (消費期限)")


class StorageClass(models.TextChoices):
    AMBIENT = "ambient", _("Room temperature (常温)")
    CHILLED = "chilled", _("Chilled (冷蔵)")
    FROZEN = "frozen", _("Frozen (冷凍)")


class Donor(models.Model):
    """Who gives food to a food bank. An individual may stay anonymous (no name, no contact)."""

    class Kind(models.TextChoices):
        COMPANY = "company", _("Company")
        FARM = "farm", _("Farm")
        RETAILER = "retailer", _("Retailer")
        STOCKPILE = "stockpile", _("Public stockpile (備蓄品)")
        INDIVIDUAL = "individual", _("Individual")
        FOOD_DRIVE = "food_drive", _("Food drive")

    food_bank = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="donors")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200, blank=True, help_text=_("Blank: anonymous."))
    # A company's contact is business data; an individual's is personal data, encrypted at rest.
    contact_name = EncryptedTextField(_("contact person"), blank=True)
    phone = EncryptedTextField(_("phone"), blank=True)
    email = EncryptedTextField(_("email"), blank=True)
    address = EncryptedTextField(_("address"), blank=True)
    # The agreement on file (食品寄附ガイドライン): resale forbidden, handling terms accepted.
    agreement_on = models.DateField(_("agreement signed on"), null=True, blank=True)
    resale_forbidden_accepted = models.BooleanField(_("accepted: resale forbidden (転売禁止)"), default=False)
    handling_terms_accepted = models.BooleanField(_("accepted: handling terms"), default=False)
    receipt_frequency = models.CharField(
        _("donation receipts"),
        max_length=16,
        choices=[("per_donation", _("Per donation")), ("monthly", _("Monthly")), ("none", _("None"))],
        default="per_donation",
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("donor")
        verbose_name_plural = _("donors")
        ordering = ["food_bank_id", "kind", "name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["food_bank", "name"], condition=~Q(name=""), name="donor_name_unique_per_food_bank"
            ),
        ]

    def __str__(self) -> str:
        return self.name or str(_("Anonymous donor"))

    @property
    def anonymous(self) -> bool:
        return not self.name

    @property
    def agreement_complete(self) -> bool:
        return bool(self.agreement_on and self.resale_forbidden_accepted and self.handling_terms_accepted)


class Lot(models.Model):
    """One identity of stock through the ledger (see the module docstring)."""

    class Kind(models.TextChoices):
        DONATION = "donation", _("Donation")
        PACK = "pack", _("Assembled packs")
        UNKNOWN = "unknown", _("Unknown donor (before lots)")

    food_bank = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    item = models.ForeignKey(
        "inventory.Item",
        verbose_name=_("item"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    pack_type = models.ForeignKey(
        "inventory.PackType",
        verbose_name=_("pack type"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    best_before = models.DateField(_("date"), null=True, blank=True)
    date_label = models.CharField(
        _("date label"), max_length=16, choices=DateLabel.choices, default=DateLabel.BEST_BEFORE
    )
    storage = models.CharField(
        _("storage"), max_length=16, choices=StorageClass.choices, default=StorageClass.AMBIENT
    )
    # Codes of inventory.allergens; a pack lot has the union of its components'.
    allergens = models.JSONField(_("allergens"), default=list, blank=True)
    donor = models.ForeignKey(
        Donor, verbose_name=_("donor"), on_delete=models.PROTECT, null=True, blank=True, related_name="lots"
    )
    receipt_line = models.OneToOneField(
        "inventory.DonationReceiptLine", on_delete=models.PROTECT, null=True, blank=True, related_name="lot"
    )
    assembly = models.OneToOneField(
        "inventory.Assembly", on_delete=models.PROTECT, null=True, blank=True, related_name="lot"
    )
    received_on = models.DateField(_("received on"), null=True, blank=True)
    # Set by a recall: the lot's stock is moved out of use (``quarantine`` movements) wherever it is,
    # and any that comes back (a voided handout, an unpacked box, a restock arriving) follows.
    quarantined_at = models.DateTimeField(_("quarantined at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("lot")
        verbose_name_plural = _("lots")
        ordering = ["food_bank_id", "-pk"]
        indexes = [
            models.Index(fields=["food_bank", "item", "best_before"], name="lot_fb_item_date_idx"),
            models.Index(
                fields=["quarantined_at"],
                condition=Q(quarantined_at__isnull=False),
                name="lot_quarantined_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                name="lot_item_xor_pack_type",
                condition=(
                    Q(item__isnull=False, pack_type__isnull=True)
                    | Q(item__isnull=True, pack_type__isnull=False)
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def code(self) -> str:
        """The label written on the case and printed on reports: L-000123."""
        return f"L-{self.pk:06d}" if self.pk else "L-new"

    @property
    def allergen_labels(self) -> str:
        return allergens.labels(self.allergens)

    @property
    def unsuitable_for_window_sets(self) -> bool:
        """Windows keep sets at room temperature for days: no 消費期限 food, nothing chilled or frozen."""
        return self.date_label == DateLabel.USE_BY or self.storage != StorageClass.AMBIENT


class Recall(models.Model):
    """A recall of a donor lot, or of a product over a range of dates, and its quarantine."""

    food_bank = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    lot = models.ForeignKey(
        Lot, verbose_name=_("lot"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    item = models.ForeignKey(
        "inventory.Item",
        verbose_name=_("product"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    date_from = models.DateField(_("dates from"), null=True, blank=True)
    date_to = models.DateField(_("dates to"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=300)
    incident = models.ForeignKey(
        "inventory.Incident", on_delete=models.PROTECT, null=True, blank=True, related_name="recalls"
    )
    # Every lot the quarantine covered (the donor lots and the pack lots made from them).
    lots = models.ManyToManyField(Lot, related_name="recalls", blank=True)
    started_at = models.DateTimeField(_("quarantined at"), auto_now_add=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("recall")
        verbose_name_plural = _("recalls")
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.reason}"

    @property
    def reference(self) -> str:
        return f"recall:{self.pk}"


class Incident(models.Model):
    """Something that went wrong with food (suspected food poisoning, damage, foreign matter), linked to
    the lots involved; a coordinator may start a recall from it."""

    class Kind(models.TextChoices):
        ILLNESS = "illness", _("Suspected food poisoning")
        DAMAGE = "damage", _("Damage")
        FOREIGN_MATTER = "foreign_matter", _("Foreign matter")
        TEMPERATURE = "temperature", _("Temperature abuse")
        OTHER = "other", _("Other")

    food_bank = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    occurred_on = models.DateField(_("occurred on"))
    # May mention a person's health: encrypted at rest.
    description = EncryptedTextField(_("description"))
    lots = models.ManyToManyField(Lot, related_name="incidents", blank=True)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reported_at = models.DateTimeField(_("reported at"), auto_now_add=True)

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-occurred_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_on}"
