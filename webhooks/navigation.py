"""Start-page link label of the webhook pages (listed in foodbank/navigation.py)."""

from django.utils.translation import gettext_lazy as _

ENDPOINTS = _("Webhooks for your systems")
