"""Start-page link of the console (registered with foodbank.navigation; the label is translated in
this app's catalogue)."""

from django.utils.translation import gettext_lazy as _

from foodbank.models import Role
from foodbank.navigation import register

NETWORK = _("Network and staff")

register(Role.COORDINATOR, NETWORK, "console:index", order=20)

PEOPLE = _("People: disclosure, correction, consent")
register(Role.COORDINATOR, PEOPLE, "console:people", order=21)

DUPLICATES = _("Possible duplicate households")
register(Role.COORDINATOR, DUPLICATES, "console:duplicates", order=22)

CASEWORK = _("Search our requests; consent and monthly parcel")
register(Role.CASE_WORKER, CASEWORK, "console:casework-search", order=25)
