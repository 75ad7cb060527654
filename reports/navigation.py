"""Start-page link of the report page (registered with foodbank.navigation; the label is translated
in this app's catalogue)."""

from django.utils.translation import gettext_lazy as _

from foodbank.models import Role
from foodbank.navigation import register

REPORT = _("Reports: monthly figures")

register(Role.COORDINATOR, REPORT, "reports:report", order=90)

NETWORK = _("The network: every food bank's figures")

register(Role.NETWORK, NETWORK, "reports:platform", order=10)
