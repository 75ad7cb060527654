"""Daily roll-ups behind the reports (docs/reports.md).

Reports read whole days from these tables and compute the days not rolled up yet (today, and any
day since the last refresh) live from the source tables, so every figure is exact. The roll-up
holds counts only, never a person: it is also what keeps the statistics once personal data is
purged after the retention period (docs/spec.md §5).

``reports.services.refresh_rollups`` rewrites whole days: the days since the last refresh, and the
earlier days a change touched (a handout logged late or voided, a parcel whose status moved).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from foodbank.models import Organisation, Site
from inventory.models import HandoutHouseholdType


class HandoutDay(models.Model):
    """Handouts at one window on one day (Asia/Tokyo) for one household type; voided ones excluded."""

    food_bank = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+")
    day = models.DateField(_("day"))
    household_type = models.CharField(
        _("household type"), max_length=16, choices=HandoutHouseholdType.choices
    )
    visits = models.PositiveIntegerField(_("handouts logged"))
    sets = models.PositiveIntegerField(_("sets handed out"))

    class Meta:
        verbose_name = _("handouts of a day")
        verbose_name_plural = _("handouts by day")
        indexes = [models.Index(fields=["food_bank", "day"], name="handoutday_fb_day_idx")]
        constraints = [
            models.UniqueConstraint(fields=["site", "day", "household_type"], name="handoutday_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.site_id} {self.day}: {self.visits}/{self.sets}"


class ParcelDay(models.Model):
    """Home parcels shipped on one day (Asia/Tokyo), by source and the recipient's household type,
    situation category and place, as they were when the day was rolled up."""

    food_bank = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    day = models.DateField(_("day"))
    source = models.CharField(_("source"), max_length=16)
    household_type = models.CharField(_("household type"), max_length=16)
    situation_category = models.CharField(_("situation"), max_length=32)
    regional_bureau = models.CharField(_("regional bureau"), max_length=16, blank=True)
    municipality = models.CharField(_("municipality"), max_length=64, blank=True)
    parcels = models.PositiveIntegerField(_("parcels"))

    class Meta:
        verbose_name = _("parcels of a day")
        verbose_name_plural = _("parcels by day")
        indexes = [models.Index(fields=["food_bank", "day"], name="parcelday_fb_day_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "food_bank",
                    "day",
                    "source",
                    "household_type",
                    "situation_category",
                    "regional_bureau",
                    "municipality",
                ],
                name="parcelday_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.food_bank_id} {self.day} {self.source}: {self.parcels}"


class RollupState(models.Model):
    """Where the roll-up stands (one row). Days before ``complete_before`` are in the tables;
    ``changes_seen_at`` is when the last refresh looked for changes to earlier days."""

    name = models.CharField(max_length=32, unique=True, default="daily")
    complete_before = models.DateField(null=True, blank=True)
    changes_seen_at = models.DateTimeField(null=True, blank=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("roll-up state")
        verbose_name_plural = _("roll-up state")

    def __str__(self) -> str:
        return f"{self.name}: before {self.complete_before}"
