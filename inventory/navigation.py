"""Start-page link labels of the inventory pages (listed in foodbank/navigation.py), kept here so that
this app's catalogue translates them."""

from django.utils.translation import gettext_lazy as _

WINDOW = _("Stock and handouts")
OVERVIEW = _("Stock and restocking")
