"""Start-page links of shipping (registered with foodbank.navigation; the labels are translated in
shipping's own catalogue)."""

from django.utils.translation import gettext_lazy as _

from foodbank.models import Role
from foodbank.navigation import register

BATCHES = _("Dispatch batches")
PACKING = _("Dispatch batches and packing")
PANTRY = _("Pantry shipments")

register(Role.COORDINATOR, BATCHES, "shipping:batches", order=70)
register(Role.COORDINATOR, PANTRY, "shipping:pantry", order=80)
register(Role.VOLUNTEER, PACKING, "shipping:batches", order=10)
