"""Assembly: packs made at a warehouse to a recipe."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from foodbank.models import Organisation, Site

from .catalogue import PackRecipe, PackType


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
