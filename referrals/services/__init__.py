"""Writes of the referrals domain: filing requests, triage, the workflow shipping drives, consent and
the monthly programme.

Every status change goes through ``_transition``/``_transition_many``: the request rows are locked
(``SELECT … FOR UPDATE`` in primary-key order, see ``referrals.locks``), the change is checked
against ``TRANSITIONS`` (``InvalidTransition``, 409, otherwise), and an immutable
``DeliveryRequestEvent`` is written in the same transaction. Emails to the filing case worker are
``Notification`` rows sent by a task scheduled with ``foodbank.outbox.enqueue`` (after commit only).

Consent is checked at the moment of acting: filing needs a consent to share with the food bank;
approving and scheduling re-check it; withdrawing it cancels the person's open requests.

One module per capability, the same names as in ``referrals.models``, ``referrals.serializers`` and
``referrals.api``:

- ``_common``: the request workflow every capability uses (transitions, events, emails,
  ``announce_changes``);
- ``recipients``: the person and household as filed;
- ``delivery_requests``: filing, triage and the lifecycle shipping drives;
- ``navi``: self-referrals from the Navi;
- ``consents``: recording and withdrawing consent, and what a withdrawal stops;
- ``programme``: the monthly programme's enrolments and requests;
- ``referrals_back``: referrals to consultation services;
- ``handout_contacts``: the person behind a window handout who asked to be referred;
- ``feedback``: recipients' feedback;
- ``packing_notes``: what a dispatch batch did about a household's allergies, for the case worker;
- ``viewing``: the audit events of staff shown a request or a referral.

Every public name is re-exported here, so callers keep writing ``services.approve_request(...)``.
"""

from ..handover import AllergenPacking
from ._common import NOTIFY_ON, TRANSITIONS, Purpose, S, announce_changes
from .consents import CONSENT_SCOPE, CONSENT_WORDING_VERSION, ConsentInput, record_consent, withdraw_consent
from .delivery_requests import (
    RELEASABLE,
    NeedsInput,
    approve_request,
    cancel_request,
    decline_request,
    file_delivery_request,
    mark_delivered,
    mark_many_shipped,
    mark_packed,
    mark_returned,
    mark_scheduled,
    mark_shipped,
    release_from_dispatch,
    schedule_for_batch,
)
from .feedback import record_feedback
from .handout_contacts import record_handout_contact
from .navi import NaviAnswers, receive_navi_application
from .packing_notes import record_allergen_packing
from .programme import create_monthly_requests, end_enrolment, enrol_in_monthly_programme
from .recipients import HouseholdInput, RecipientInput
from .referrals_back import (
    EK,
    REFERRAL_TRANSITIONS,
    RS,
    acknowledge_referral,
    close_referral,
    create_referral,
    escalate_overdue_referrals,
    escalate_referral,
    record_referral_contact,
)
from .viewing import record_referral_view, record_request_list_view, record_request_view

__all__ = [
    "CONSENT_SCOPE",
    "CONSENT_WORDING_VERSION",
    "EK",
    "NOTIFY_ON",
    "REFERRAL_TRANSITIONS",
    "RELEASABLE",
    "RS",
    "TRANSITIONS",
    "AllergenPacking",
    "ConsentInput",
    "HouseholdInput",
    "NaviAnswers",
    "NeedsInput",
    "Purpose",
    "RecipientInput",
    "S",
    "acknowledge_referral",
    "announce_changes",
    "approve_request",
    "cancel_request",
    "close_referral",
    "create_monthly_requests",
    "create_referral",
    "decline_request",
    "end_enrolment",
    "enrol_in_monthly_programme",
    "escalate_overdue_referrals",
    "escalate_referral",
    "file_delivery_request",
    "mark_delivered",
    "mark_many_shipped",
    "mark_packed",
    "mark_returned",
    "mark_scheduled",
    "mark_shipped",
    "receive_navi_application",
    "record_allergen_packing",
    "record_consent",
    "record_feedback",
    "record_handout_contact",
    "record_referral_contact",
    "record_referral_view",
    "record_request_list_view",
    "record_request_view",
    "release_from_dispatch",
    "schedule_for_batch",
    "withdraw_consent",
]
