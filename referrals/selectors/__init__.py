"""Reads of the referrals domain, scoped to what each role may see (docs/spec.md §2).

All scoping of delivery requests, consents and enrolments lives here: coordinators see their food
bank's, case workers their own agency's. Volunteers see nothing here except ``packing_views`` (what
they need to pack, never the situation narrative, debts or consent details), which shipping calls.

One module per capability, the same names as in ``referrals.services`` and ``referrals.models``:

- ``_common``: the request statuses the reads share;
- ``delivery_requests``: who reads which request, its history, the triage queue, and what shipping
  reads to dispatch and pack (``approved_requests_for_dispatch``, ``packing_views``);
- ``consents``: the consent valid now, who sees and withdraws which;
- ``programme``: the monthly programme's enrolments;
- ``referrals_back``: referrals to consultation services (inboxes, trail, shared details,
  escalation);
- ``handout_contacts``: the people behind window handouts waiting for a referral;
- ``feedback``: recipients' feedback.

Every public name is re-exported here, so callers keep writing ``selectors.visible_requests(...)``.
"""

from ._common import CANCELLABLE, OPEN_STATUSES, S
from .consents import may_withdraw, recipients_with_valid_consent, valid_consent, visible_consents
from .delivery_requests import (
    RequestDetail,
    allergen_packing,
    approved_requests_for_dispatch,
    case_worker_agencies,
    cutoff_at,
    history,
    is_coordinator_of,
    is_filing_agency,
    may_cancel,
    may_read_requests,
    packing_views,
    remember_new_history,
    request_detail,
    request_with_history,
    time_to_cutoff,
    triage_queue,
    visible_requests,
)
from .feedback import publishable_feedback, visible_feedback
from .handout_contacts import handout_contacts_waiting
from .programme import enrolments_due, visible_enrolments
from .referrals_back import (
    inbox_referrals,
    is_referral_coordinator,
    is_window_staff_of,
    may_use_referral_inbox,
    may_use_target_inbox,
    open_referral_count,
    propose_target,
    referral_events,
    referral_targets,
    referral_trail,
    referrals_of_request,
    referrals_to_escalate,
    shared_details,
    visible_referrals,
    working_days_since,
)

__all__ = [
    "CANCELLABLE",
    "OPEN_STATUSES",
    "RequestDetail",
    "S",
    "allergen_packing",
    "approved_requests_for_dispatch",
    "case_worker_agencies",
    "cutoff_at",
    "enrolments_due",
    "handout_contacts_waiting",
    "history",
    "inbox_referrals",
    "is_coordinator_of",
    "is_filing_agency",
    "is_referral_coordinator",
    "is_window_staff_of",
    "may_cancel",
    "may_read_requests",
    "may_use_referral_inbox",
    "may_use_target_inbox",
    "may_withdraw",
    "open_referral_count",
    "packing_views",
    "propose_target",
    "publishable_feedback",
    "recipients_with_valid_consent",
    "referral_events",
    "referral_targets",
    "referral_trail",
    "referrals_of_request",
    "referrals_to_escalate",
    "remember_new_history",
    "request_detail",
    "request_with_history",
    "shared_details",
    "time_to_cutoff",
    "triage_queue",
    "valid_consent",
    "visible_consents",
    "visible_enrolments",
    "visible_feedback",
    "visible_referrals",
    "visible_requests",
    "working_days_since",
]
