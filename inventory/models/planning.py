"""Nightly planning's output: each site's daily expiry report."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from foodbank.models import Organisation, Site


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
