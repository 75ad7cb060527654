"""Start-page link label of the report page (listed in foodbank/navigation.py), kept here so that this
app's catalogue translates it."""

from django.utils.translation import gettext_lazy as _

REPORT = _("Reports: monthly figures")
