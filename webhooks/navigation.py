"""Start-page links of the webhook pages (registered with foodbank.navigation; the label is
translated in this app's catalogue)."""

from django.utils.translation import gettext_lazy as _

from foodbank.models import Role
from foodbank.navigation import register

ENDPOINTS = _("Webhooks for your systems")

register(Role.COORDINATOR, ENDPOINTS, "webhooks:endpoints", order=220)
register(Role.CASE_WORKER, ENDPOINTS, "webhooks:endpoints", order=40)
