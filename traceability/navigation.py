"""Start-page links of the traceability pages (registered with foodbank.navigation; the labels are
translated in this app's catalogue)."""

from django.utils.translation import gettext_lazy as _

from foodbank.models import Role
from foodbank.navigation import register

INTAKE = _("Donation intake")
DONORS = _("Donors")
RECALL = _("Recall and traceability")

register(Role.COORDINATOR, INTAKE, "traceability:intake", order=92)
register(Role.COORDINATOR, DONORS, "traceability:donors", order=93)
register(Role.COORDINATOR, RECALL, "traceability:recall", order=94)
register(Role.VOLUNTEER, INTAKE, "traceability:intake", order=50)
