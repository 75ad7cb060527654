"""Start-page links of the referral pages (registered with foodbank.navigation; the labels are
translated in this app's catalogue)."""

from django.utils.translation import gettext_lazy as _

from foodbank.models import Role
from foodbank.navigation import register

INBOX = _("Referrals to us")
REFERRALS = _("Referrals to consultation services")
FEEDBACK = _("Feedback from recipients")

register(Role.COORDINATOR, _("Triage of delivery requests"), "referrals:triage", order=30)
register(Role.COORDINATOR, _("Delivery requests"), "referrals:request-list", order=40)
register(Role.COORDINATOR, REFERRALS, "referrals:referral-list", order=50)
register(Role.COORDINATOR, FEEDBACK, "referrals:feedback", order=60)
register(Role.WINDOW_STAFF, INBOX, "referrals:inbox", order=20)
register(Role.CASE_WORKER, _("New delivery request"), "referrals:request-new", order=10)
register(Role.CASE_WORKER, _("Our delivery requests"), "referrals:request-list", order=20)
register(Role.CASE_WORKER, INBOX, "referrals:inbox", order=30)
