"""The referrals API (docs/spec.md §4.1): delivery requests, triage, Navi intake, consent, enrolments.

Thin views: check the role (403), find the object through ``referrals.selectors`` (404 when it is
not visible), validate input, call one service, answer with the output serializer. Views of
personal data are recorded with ``foodbank.audit.record_view``.

One module per capability, named as in ``referrals.services`` (``delivery_requests``, ``navi``,
``consents``, ``programme``, ``referrals_back``, ``feedback``, ``handout_contacts``); what the views
share is in ``_common``. ``referrals/api_urls.py`` routes to the modules; the views are re-exported
here too.
"""

from ._common import REFERRAL_TAGS, REFUSALS, TAGS
from .consents import ConsentDetailView, ConsentListCreateView, ConsentWithdrawView
from .delivery_requests import (
    ETAG_HEADER,
    IF_MATCH_HEADER,
    ApproveView,
    CancelView,
    DeclineView,
    DeliveryRequestDetailView,
    DeliveryRequestListCreateView,
)
from .feedback import FeedbackListCreateView
from .handout_contacts import HandoutReferralContactView
from .navi import NaviIntakeView
from .programme import EndEnrolmentView, EnrolmentListCreateView
from .referrals_back import (
    ReferralAcknowledgeView,
    ReferralCloseView,
    ReferralContactedView,
    ReferralDetailView,
    ReferralListCreateView,
)

__all__ = [
    "ETAG_HEADER",
    "IF_MATCH_HEADER",
    "REFERRAL_TAGS",
    "REFUSALS",
    "TAGS",
    "ApproveView",
    "CancelView",
    "ConsentDetailView",
    "ConsentListCreateView",
    "ConsentWithdrawView",
    "DeclineView",
    "DeliveryRequestDetailView",
    "DeliveryRequestListCreateView",
    "EndEnrolmentView",
    "EnrolmentListCreateView",
    "FeedbackListCreateView",
    "HandoutReferralContactView",
    "NaviIntakeView",
    "ReferralAcknowledgeView",
    "ReferralCloseView",
    "ReferralContactedView",
    "ReferralDetailView",
    "ReferralListCreateView",
]
