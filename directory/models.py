"""What a food bank chooses to publish in the open directory beyond the windows themselves."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from foodbank.models import Organisation


class DirectoryPolicy(models.Model):
    food_bank = models.OneToOneField(
        Organisation,
        verbose_name=_("food bank"),
        on_delete=models.CASCADE,
        related_name="directory_policy",
        limit_choices_to={"kind": Organisation.Kind.FOOD_BANK},
    )
    publish_capacity = models.BooleanField(
        _("publish sets on hand"),
        default=False,
        help_text=_(
            "Show, per window, the food sets on hand (rounded down to a multiple of five, with the "
            "time) in the open directory."
        ),
    )

    class Meta:
        verbose_name = _("directory policy")
        verbose_name_plural = _("directory policies")

    def __str__(self) -> str:
        return str(self.food_bank)
