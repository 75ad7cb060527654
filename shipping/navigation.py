"""Start-page link labels of shipping (translated in shipping's own catalogue)."""

from django.utils.translation import gettext_lazy as _

BATCHES = _("Dispatch batches")
PACKING = _("Dispatch batches and packing")
PANTRY = _("Pantry shipments")
