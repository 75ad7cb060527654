"""Recipients, home-delivery requests with their event trail, Navi self-referrals, consent records
and the monthly programme (docs/spec.md §3.3).

Personal data that is sensitive beyond the label (situation narrative, health, debts, the phone
number) is encrypted at rest with ``foodbank.crypto.EncryptedTextField``; the phone number has a
blind index beside it for exact lookup. Events, consent records and withdrawals are append-only:
their ``save()`` refuses to update an existing row and ``delete()`` is refused, so history is never
rewritten through the ORM (the admin shows them read-only too).

One module per capability, named as in ``referrals.services``: ``recipients``, ``programme``,
``delivery_requests``, ``navi``, ``consents``, ``handout_contacts``, ``referrals_back``,
``feedback``; the append-only base in ``_common``. Every model is re-exported here, so
``referrals.models.DeliveryRequest`` and the migrations' references stay as they were.
"""

# Callers read the household types shared with foodbank from here too, as before.
from foodbank.models import HouseholdType

# Imported in the order the models were declared when this was one module, so the app registry
# (content types, ``apps.get_models()``) lists them as before.
# isort: off
from ._common import AppendOnly
from .recipients import Recipient
from .programme import Enrolment
from .delivery_requests import (
    SituationCategory,
    TimeSlot,
    ExtraItem,
    DiaperSize,
    COOKING_KEYS,
    DeliveryRequest,
    DeliveryRequestEvent,
    Notification,
)
from .navi import NaviApplication
from .consents import DATA_RECIPIENTS, DATA_CATEGORIES, ConsentRecord, ConsentWithdrawal
from .handout_contacts import HandoutContact
from .referrals_back import REFERRAL_TARGET_KINDS, CONFIDENTIAL_TARGET, Referral, ReferralEvent
from .feedback import Feedback

# isort: on

__all__ = [
    "CONFIDENTIAL_TARGET",
    "COOKING_KEYS",
    "DATA_CATEGORIES",
    "DATA_RECIPIENTS",
    "REFERRAL_TARGET_KINDS",
    "AppendOnly",
    "ConsentRecord",
    "ConsentWithdrawal",
    "DeliveryRequest",
    "DeliveryRequestEvent",
    "DiaperSize",
    "Enrolment",
    "ExtraItem",
    "Feedback",
    "HandoutContact",
    "HouseholdType",
    "NaviApplication",
    "Notification",
    "Recipient",
    "Referral",
    "ReferralEvent",
    "SituationCategory",
    "TimeSlot",
]
