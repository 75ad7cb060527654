"""Start-page link labels of the console (listed in foodbank/navigation.py), kept here so that this
app's catalogue translates them."""

from django.utils.translation import gettext_lazy as _

NETWORK = _("Network and staff")
