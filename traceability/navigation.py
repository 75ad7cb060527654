"""Start-page link labels of the traceability pages (listed in foodbank/navigation.py)."""

from django.utils.translation import gettext_lazy as _

INTAKE = _("Donation intake")
DONORS = _("Donors")
RECALL = _("Recall and traceability")
