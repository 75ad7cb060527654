"""Start-page links of the inventory pages (registered with foodbank.navigation; the labels are
translated in this app's catalogue)."""

from django.utils.translation import gettext_lazy as _

from foodbank.models import Role
from foodbank.navigation import register

WINDOW = _("Stock and handouts")
OVERVIEW = _("Stock and restocking")

register(Role.COORDINATOR, OVERVIEW, "inventory:overview", order=10)
register(Role.WINDOW_STAFF, WINDOW, "inventory:window", with_site=True, order=10)
