"""Start-page link labels of the referral pages (listed in foodbank/navigation.py), kept here so that
this app's catalogue translates them."""

from django.utils.translation import gettext_lazy as _

INBOX = _("Referrals to us")
REFERRALS = _("Referrals to consultation services")
FEEDBACK = _("Feedback from recipients")
