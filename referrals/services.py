"""Writes of the referrals domain: filing requests, triage, the workflow shipping drives, consent and
the monthly programme.

Every status change goes through ``_transition``/``_transition_many``: the request rows are locked
(``SELECT … FOR UPDATE`` in primary-key order, see ``referrals.locks``), the change is checked
against ``TRANSITIONS`` (``InvalidTransition``, 409, otherwise), and an immutable
``DeliveryRequestEvent`` is written in the same transaction. Emails to the filing case worker are
``Notification`` rows sent by a task scheduled with ``foodbank.outbox.enqueue`` (after commit only).

Consent is checked at the moment of acting: filing needs a consent to share with the food bank;
approving and scheduling re-check it; withdrawing it cancels the person's open requests.
"""

from collections.abc import Iterable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from foodbank import audit, outbox
from foodbank.crypto import blind_index
from foodbank.exceptions import InvalidTransition
from foodbank.lookups import AnyOf
from foodbank.models import AuditEvent, Organisation, Site
from foodbank.transactions import service_transaction

from . import handover, locks, selectors
from .exceptions import (
    ConsentAlreadyWithdrawn,
    ConsentRequired,
    ContactAlreadyRecorded,
    DuplicateApplication,
    DuplicateClientReference,
    NoReferralTarget,
    NotEnrolable,
)
from .models import (
    COOKING_KEYS,
    DATA_CATEGORIES,
    ConsentRecord,
    ConsentWithdrawal,
    DeliveryRequest,
    DeliveryRequestEvent,
    Enrolment,
    Feedback,
    HandoutContact,
    HouseholdType,
    NaviApplication,
    Notification,
    Recipient,
    Referral,
    ReferralEvent,
)

S = DeliveryRequest.Status
Purpose = ConsentRecord.Purpose

# The workflow (docs/spec.md §3.3). Cancelling is allowed until the parcel is packed.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.SUBMITTED: frozenset({S.APPROVED, S.DECLINED, S.CANCELLED}),
    S.APPROVED: frozenset({S.SCHEDULED, S.CANCELLED, S.DECLINED}),
    S.SCHEDULED: frozenset({S.PACKED, S.CANCELLED, S.DECLINED}),
    S.PACKED: frozenset({S.SHIPPED}),
    S.SHIPPED: frozenset({S.DELIVERED, S.RETURNED}),
    S.DECLINED: frozenset(),
    S.CANCELLED: frozenset(),
    S.DELIVERED: frozenset(),
    S.RETURNED: frozenset(),
}
# Events the filing case worker is emailed about.
NOTIFY_ON = frozenset({S.APPROVED, S.DECLINED, S.SHIPPED, S.RETURNED})

# The consent wording agencies and the Navi show (bump when the text changes).
CONSENT_WORDING_VERSION = "2025-04"
# What each purpose covers by default: who receives the data, and which kinds.
CONSENT_SCOPE: dict[str, tuple[list[str], list[str]]] = {
    Purpose.SHARE_WITH_FOODBANK: (
        ["food_bank", "courier"],
        ["identity", "contact", "address", "household", "situation", "health"],
    ),
    Purpose.REFERRAL: (["consultation_service"], ["identity", "contact", "household", "situation"]),
    Purpose.PHONE_CONTACT: (["food_bank", "referring_agency"], ["contact"]),
}


# --- Inputs ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecipientInput:
    """A recipient as validated by the API or the form (phone in E.164, address from Japan Post)."""

    name: str
    phone: str
    postal_code: str
    prefecture: str
    municipality: str
    municipality_code: str
    regional_bureau: str
    address: str
    building: str = ""
    name_kana: str = ""
    is_pseudonym: bool = False


@dataclass(frozen=True)
class HouseholdInput:
    type: str
    adults: int = 1
    children: int = 0
    children_ages: Sequence[int] = ()
    infants: int = 0
    elderly: int = 0


@dataclass(frozen=True)
class NeedsInput:
    situation_category: str
    situation_note: str = ""
    no_food_today: bool = False
    days_needed: int = 7
    cooking: dict[str, bool] = field(default_factory=dict)
    allergies: str = ""
    dietary_note: str = ""
    extras: Sequence[dict] = ()
    delivery_date: date | None = None
    time_slot: str = ""


@dataclass(frozen=True)
class ConsentInput:
    purpose: str
    decision: str = ConsentRecord.Decision.GIVEN
    method: str = ConsentRecord.Method.SIGNED_FORM
    witness_name: str = ""
    wording_version: str = CONSENT_WORDING_VERSION
    by_guardian: bool = False
    guardian_name: str = ""
    decided_at: datetime | None = None
    basis: str = ConsentRecord.Basis.CONSENT
    statutory_basis: str = ""
    data_recipients: Sequence[str] | None = None
    data_categories: Sequence[str] | None = None


@dataclass(frozen=True)
class NaviAnswers:
    """The Navi application's answers the network reports on."""

    lost_income: bool = False
    lost_job: bool = False
    has_debts: bool = False
    debts_note: str = ""
    first_time_at_food_bank: bool | None = None
    has_someone_to_consult: bool | None = None
    wants_referral: bool = False


# --- Filing ---------------------------------------------------------------------------------------


def file_delivery_request(
    *,
    filed_by,
    agency: Organisation,
    recipient: RecipientInput,
    household: HouseholdInput,
    needs: NeedsInput,
    consents: Sequence[ConsentInput],
    client_reference: str = "",
) -> DeliveryRequest:
    """A case worker files a home-delivery request for ``agency`` (status ``submitted``).

    Creates the recipient, the request, its first event and the consent records, in one
    transaction. Raises ``ConsentRequired`` unless ``consents`` give consent to share with the
    food bank, ``DuplicateClientReference`` when the agency already used ``client_reference``.
    """
    _require_share_consent(consents)
    food_bank_id = agency.food_bank_id_for_scope
    with service_transaction():  # joins idempotent_create's transaction: no SAVEPOINT round trips
        if (
            client_reference
            and DeliveryRequest.objects.filter(agency=agency, client_reference=client_reference).exists()
        ):
            raise DuplicateClientReference()
        person = _create_recipient(
            food_bank_id=food_bank_id, agency=agency, data=recipient, household=household
        )
        # A savepoint only when there is a reference that two requests could race for.
        guard = transaction.atomic() if client_reference else nullcontext()
        try:
            with guard:
                request, submitted = _create_request(
                    food_bank_id=food_bank_id,
                    source=DeliveryRequest.Source.AGENCY,
                    agency=agency,
                    filed_by=filed_by,
                    recipient=person,
                    needs=needs,
                    client_reference=client_reference,
                )
        except IntegrityError:
            # Two requests with one reference raced past the check above.
            raise DuplicateClientReference() from None
        recorded = _record_consents(
            person=person, consents=consents, by=filed_by, organisation_id=agency.pk, request=request
        )
        audit.record(
            actor=filed_by,
            action=AuditEvent.Action.CREATE,
            object_type="delivery_request",
            object_id=request.pk,
            subject_id=person.pk,
            food_bank_id=food_bank_id,
        )
    # The person is new, so this is their whole history: the answer needs no query to read it back.
    selectors.remember_new_history(request, events=[submitted], consents=recorded)
    return request


def receive_navi_application(
    *,
    by,
    food_bank: Organisation,
    application_id: str,
    recipient: RecipientInput,
    household: HouseholdInput,
    needs: NeedsInput,
    answers: NaviAnswers,
    consents: Sequence[ConsentInput],
) -> DeliveryRequest:
    """A self-referral from the Navi integration ``by``: a delivery request (source ``navi``,
    status ``submitted``) with the structured answers beside it.

    Raises ``ConsentRequired`` without consent to share with the food bank and
    ``DuplicateApplication`` for an ``application_id`` already received.
    """
    _require_share_consent(consents)
    with transaction.atomic():
        if NaviApplication.objects.filter(food_bank=food_bank, application_id=application_id).exists():
            raise DuplicateApplication()
        person = _create_recipient(
            food_bank_id=food_bank.pk, agency=None, data=recipient, household=household
        )
        request, _event = _create_request(
            food_bank_id=food_bank.pk,
            source=DeliveryRequest.Source.NAVI,
            agency=None,
            filed_by=by,
            recipient=person,
            needs=needs,
        )
        try:
            with transaction.atomic():
                NaviApplication.objects.create(
                    food_bank=food_bank,
                    delivery_request=request,
                    application_id=application_id,
                    household_type=household.type,
                    lost_income=answers.lost_income,
                    lost_job=answers.lost_job,
                    has_debts=answers.has_debts,
                    debts_note=answers.debts_note,
                    first_time_at_food_bank=answers.first_time_at_food_bank,
                    has_someone_to_consult=answers.has_someone_to_consult,
                    wants_referral=answers.wants_referral,
                )
        except IntegrityError:
            raise DuplicateApplication() from None
        _record_consents(
            person=person, consents=consents, by=by, organisation_id=food_bank.pk, request=request
        )
        audit.record(
            actor=by,
            action=AuditEvent.Action.CREATE,
            object_type="delivery_request",
            object_id=request.pk,
            subject_id=person.pk,
            food_bank_id=food_bank.pk,
            detail={"source": "navi"},
        )
    return request


def _require_share_consent(consents: Sequence[ConsentInput]) -> None:
    if not any(
        c.purpose == Purpose.SHARE_WITH_FOODBANK and c.decision == ConsentRecord.Decision.GIVEN
        for c in consents
    ):
        raise ConsentRequired(
            _("The person's consent to share their details with the food bank is required.")
        )


def _create_recipient(
    *, food_bank_id: int, agency, data: RecipientInput, household: HouseholdInput
) -> Recipient:
    return Recipient.objects.create(
        food_bank_id=food_bank_id,
        agency=agency,
        name=data.name,
        name_kana=data.name_kana,
        is_pseudonym=data.is_pseudonym,
        phone=data.phone,
        phone_index=blind_index(data.phone) if data.phone else "",
        postal_code=data.postal_code,
        prefecture=data.prefecture,
        municipality=data.municipality,
        municipality_code=data.municipality_code,
        regional_bureau=data.regional_bureau,
        address=data.address,
        building=data.building,
        household_type=household.type,
        adults=household.adults,
        children=household.children,
        children_ages=list(household.children_ages),
        infants=household.infants,
        elderly=household.elderly,
    )


def _create_request(
    *, food_bank_id: int, source: str, agency, filed_by, recipient: Recipient, needs: NeedsInput, **extra
) -> tuple[DeliveryRequest, DeliveryRequestEvent]:
    """The request and its first event (``submitted``)."""
    request = DeliveryRequest.objects.create(
        food_bank_id=food_bank_id,
        source=source,
        agency=agency,
        filed_by=filed_by,
        recipient=recipient,
        situation_category=needs.situation_category,
        situation_note=needs.situation_note,
        no_food_today=needs.no_food_today,
        days_needed=needs.days_needed,
        allergies=needs.allergies,
        dietary_note=needs.dietary_note,
        extras=[dict(e) for e in needs.extras],
        delivery_date=needs.delivery_date,
        time_slot=needs.time_slot,
        **{key: bool(needs.cooking.get(key, False)) for key in COOKING_KEYS},
        **extra,
    )
    event = DeliveryRequestEvent.objects.create(
        request=request, by=filed_by, from_status="", to_status=S.SUBMITTED
    )
    announce_changes()
    return request, event


def _record_consents(
    *, person: Recipient, consents: Sequence[ConsentInput], by, organisation_id: int, request=None
) -> list[ConsentRecord]:
    now = timezone.now()
    return ConsentRecord.objects.bulk_create(
        [
            _consent_row(
                person=person, data=c, by=by, organisation_id=organisation_id, request=request, now=now
            )
            for c in consents
        ]
    )


def _consent_row(
    *, person: Recipient, data: ConsentInput, by, organisation_id: int, request, now
) -> ConsentRecord:
    default_recipients, default_categories = CONSENT_SCOPE[data.purpose]
    return ConsentRecord(
        food_bank_id=person.food_bank_id,
        recipient=person,
        purpose=data.purpose,
        data_recipients=list(data.data_recipients or default_recipients),
        data_categories=list(data.data_categories or default_categories),
        basis=data.basis,
        statutory_basis=data.statutory_basis,
        decision=data.decision,
        method=data.method,
        witness_name=data.witness_name,
        wording_version=data.wording_version,
        by_guardian=data.by_guardian,
        guardian_name=data.guardian_name,
        decided_at=data.decided_at or now,
        recorded_by=by,
        recorded_by_organisation_id=organisation_id,
        delivery_request=request,
    )


# --- Workflow -------------------------------------------------------------------------------------


def _check(request: DeliveryRequest, to_status: str) -> None:
    if to_status not in TRANSITIONS[request.status]:
        raise InvalidTransition(
            _("A request that is %(status)s cannot become %(target)s.")
            % {"status": request.get_status_display(), "target": S(to_status).label},
            status=request.status,
            requested=to_status,
        )


def _apply(
    request: DeliveryRequest, to_status: str, *, by, note: str, now, changes: dict
) -> DeliveryRequestEvent:
    """Change a locked request's status and write its event; returns the event (unsaved)."""
    event = DeliveryRequestEvent(
        request=request, by=by, from_status=request.status, to_status=to_status, note=note[:500]
    )
    request.status = to_status
    request.status_changed_at = now
    for name, value in changes.items():
        setattr(request, name, value)
    return event


def announce_changes() -> None:
    """Tell the agencies' systems that request or referral events were written: call it in the
    transaction that writes any ``DeliveryRequestEvent`` or ``ReferralEvent``. One outbox message,
    sent after commit only (a rollback sends nothing); the webhooks' fan-out then reads the new
    events itself, in commit-safe order (docs/webhooks.md). Named by string: ``webhooks`` sits
    above this app."""
    outbox.enqueue("webhooks.fan_out")


def _after_events(events: list[DeliveryRequestEvent], requests: dict[int, DeliveryRequest]) -> None:
    """Write the events and the notifications they need; schedule the emails after commit."""
    DeliveryRequestEvent.objects.bulk_create(events)
    announce_changes()
    notify = [
        Notification(event=e)
        for e in events
        if e.to_status in NOTIFY_ON and _has_case_worker(requests[e.request_id])
    ]
    if notify:
        # bulk_create sets primary keys on PostgreSQL and SQLite alike (RETURNING).
        created = Notification.objects.bulk_create(notify)
        # By name: tasks call services, so services do not import tasks (no import cycle).
        outbox.enqueue("referrals.tasks.notify_case_worker_task", notification_ids=[n.pk for n in created])


def _has_case_worker(request: DeliveryRequest) -> bool:
    """Requests filed by an agency's case worker (not the Navi) have someone to email."""
    return request.agency_id is not None and request.filed_by_id is not None


def _transition(
    *, request_id: int, to_status: str, by, note: str = "", changes: dict | None = None, check=None
) -> DeliveryRequest:
    with transaction.atomic():
        request = locks.lock_request(request_id)
        _check(request, to_status)
        if check is not None:
            check(request)
        now = timezone.now()
        values = {key: (value(now) if callable(value) else value) for key, value in (changes or {}).items()}
        event = _apply(request, to_status, by=by, note=note, now=now, changes=values)
        request.save(update_fields=["status", "status_changed_at", *values])
        _after_events([event], {request.pk: request})
    return request


def _check_share_consent(request: DeliveryRequest) -> None:
    if (
        selectors.valid_consent(recipient_id=request.recipient_id, purpose=Purpose.SHARE_WITH_FOODBANK)
        is None
    ):
        raise ConsentRequired(
            _("The person's consent to share their details with the food bank is no longer valid.")
        )


def approve_request(*, request_id: int, by, note: str = "") -> DeliveryRequest:
    """Coordinator triage: submitted → approved. Stamps ``approved_at`` (the cutoff decides which
    batch takes it). Re-checks the consent to share (``ConsentRequired``). Locks the request row;
    emails the filing case worker after commit. The caller checks that ``by`` is a coordinator of
    the request's food bank."""
    return _transition(
        request_id=request_id,
        to_status=S.APPROVED,
        by=by,
        note=note,
        changes={"approved_at": lambda now: now},
        check=_check_share_consent,
    )


def _leave_dispatch(*, by, note: str, withdrawn: set[int]):
    """A ``_transition`` check: a request scheduled between ``withdraw_from_dispatch`` and its lock
    (the cutoff ran in between) has its parcel taken out now, under the request's lock."""

    def check(request: DeliveryRequest) -> None:
        if request.status == S.SCHEDULED and request.pk not in withdrawn:
            handover.withdraw_from_dispatch(request_ids=[request.pk], by=by, note=note)

    return check


def decline_request(*, request_id: int, by, reason: str) -> DeliveryRequest:
    """Coordinator triage: submitted, approved or scheduled → declined, with a reason the case
    worker is emailed. A scheduled request's parcel leaves its batch in the same transaction
    (``handover.withdraw_from_dispatch``: parcel void, stock released, documents rebuilt)."""
    if not reason.strip():
        raise ValueError("A reason is required to decline a request.")
    with transaction.atomic():
        withdrawn = handover.withdraw_from_dispatch(request_ids=[request_id], by=by, note=reason)
        return _transition(
            request_id=request_id,
            to_status=S.DECLINED,
            by=by,
            note=reason,
            changes={"decline_reason": reason[:500]},
            check=_leave_dispatch(by=by, note=reason, withdrawn=withdrawn),
        )


def cancel_request(*, request_id: int, by, reason: str = "") -> DeliveryRequest:
    """The filing agency or a coordinator cancels a request that is not packed yet. A scheduled
    request's parcel leaves its batch in the same transaction (``handover.withdraw_from_dispatch``:
    parcel void, stock released, documents rebuilt); once packed, InvalidTransition."""
    with transaction.atomic():
        withdrawn = handover.withdraw_from_dispatch(request_ids=[request_id], by=by, note=reason)
        return _transition(
            request_id=request_id,
            to_status=S.CANCELLED,
            by=by,
            note=reason,
            changes={"cancel_reason": reason[:500]},
            check=_leave_dispatch(by=by, note=reason, withdrawn=withdrawn),
        )


def mark_scheduled(*, request_id: int, batch_ref: str, by=None) -> DeliveryRequest:
    """Shipping put the request into dispatch batch ``batch_ref``: approved → scheduled.
    Re-checks the consent to share (``ConsentRequired``)."""
    return _transition(
        request_id=request_id,
        to_status=S.SCHEDULED,
        by=by,
        note=batch_ref,
        changes={"batch_ref": batch_ref},
        check=_check_share_consent,
    )


def schedule_for_batch(*, request_ids: Iterable[int], batch_ref: str, by=None) -> list[int]:
    """Bulk form of ``mark_scheduled`` for the cutoff job, in a fixed number of queries.

    Locks the rows in primary-key order and schedules those still approved, not yet batched, with
    a valid consent to share; returns their ids (ascending). The others (cancelled meanwhile,
    consent withdrawn) are skipped, not an error: build parcels only for the ids returned. Call it
    inside the transaction that creates the batch so both commit together.

    Set-based: every chosen request gets the same status, time and batch reference, so they are
    written with one UPDATE and their events with one INSERT, whatever the batch's size.
    Scheduling notifies nobody (``scheduled`` is not in ``NOTIFY_ON``).
    """
    with transaction.atomic():
        rows = locks.lock_request_states(request_ids)
        consenting = selectors.recipients_with_valid_consent(
            recipient_ids={recipient_id for _pk, recipient_id, _s, _b in rows},
            purpose=Purpose.SHARE_WITH_FOODBANK,
        )
        chosen = [
            pk
            for pk, recipient_id, status, ref in rows
            if status == S.APPROVED and not ref and recipient_id in consenting
        ]
        if not chosen:
            return []
        now = timezone.now()
        DeliveryRequest.objects.filter(AnyOf("pk", chosen)).update(
            status=S.SCHEDULED, status_changed_at=now, batch_ref=batch_ref
        )
        _log_scheduled(chosen, by=by, note=batch_ref, at=now)
        announce_changes()
    return chosen


def _log_scheduled(request_ids: list[int], *, by, note: str, at) -> None:
    """The approved → scheduled event of each request, with one ``INSERT … SELECT`` (a dispatch
    batch schedules thousands; building an event model for each costs more than the statement)."""
    qn = connection.ops.quote_name
    event, request = DeliveryRequestEvent._meta, DeliveryRequest._meta
    names = ("request", "at", "by", "from_status", "to_status", "note", "fields")
    columns = ", ".join(qn(event.get_field(name).column) for name in names)
    json_cast = "::jsonb" if connection.vendor == "postgresql" else ""
    if connection.vendor == "postgresql":  # one array parameter, not 10,000 (foodbank.lookups.AnyOf)
        where, ids = f"= ANY(%s::{request.pk.db_type(connection)}[])", [list(request_ids)]
    else:
        where, ids = f"IN ({', '.join('%s' for _ in request_ids)})", list(request_ids)
    sql = (
        f"INSERT INTO {qn(event.db_table)} ({columns}) "  # noqa: S608 (names from _meta, values bound)
        f"SELECT {qn(request.pk.column)}, %s, %s, %s, %s, %s, %s{json_cast} FROM {qn(request.db_table)} "
        f"WHERE {qn(request.pk.column)} {where} ORDER BY {qn(request.pk.column)}"
    )
    params = [
        connection.ops.adapt_datetimefield_value(at),
        getattr(by, "pk", None),
        S.APPROVED,
        S.SCHEDULED,
        note[:500],
        "[]",  # no corrected fields: a status change
        *ids,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def mark_packed(*, request_id: int, by=None) -> DeliveryRequest:
    """A volunteer packed the parcel: scheduled → packed (no cancelling after this)."""
    return _transition(request_id=request_id, to_status=S.PACKED, by=by)


def mark_shipped(*, request_id: int, tracking_number: str, tracking_url: str, by=None) -> DeliveryRequest:
    """Handed to the courier with a tracking number: packed → shipped. The case worker is emailed
    the tracking link."""
    if not tracking_number:
        raise ValueError("A tracking number is required.")
    return _transition(
        request_id=request_id,
        to_status=S.SHIPPED,
        by=by,
        note=tracking_number,
        changes={
            "tracking_number": tracking_number,
            "tracking_url": tracking_url,
            "shipped_at": lambda now: now,
        },
    )


def mark_many_shipped(*, shipments: Iterable[tuple[int, str, str]], by=None) -> list[int]:
    """Bulk form of ``mark_shipped`` for a tracking import: ``(request_id, tracking_number,
    tracking_url)`` triples, all packed; all or nothing (``InvalidTransition`` names the first
    request that is not packed). Fixed number of queries; returns the ids."""
    wanted = {rid: (number, url) for rid, number, url in shipments}
    with transaction.atomic():
        rows = locks.lock_requests(wanted)
        if len(rows) != len(wanted):
            missing = sorted(set(wanted) - {r.pk for r in rows})
            raise DeliveryRequest.DoesNotExist(f"No delivery requests {missing}.")
        now = timezone.now()
        events = []
        for r in rows:
            _check(r, S.SHIPPED)
            number, url = wanted[r.pk]
            changes = {"tracking_number": number, "tracking_url": url, "shipped_at": now}
            events.append(_apply(r, S.SHIPPED, by=by, note=number, now=now, changes=changes))
        DeliveryRequest.objects.bulk_update(
            rows,
            ["status", "status_changed_at", "tracking_number", "tracking_url", "shipped_at"],
            batch_size=1000,
        )
        _after_events(events, {r.pk: r for r in rows})
    return [r.pk for r in rows]


def mark_delivered(*, request_id: int, by=None, at: datetime | None = None) -> DeliveryRequest:
    """The courier delivered it: shipped → delivered."""
    return _transition(
        request_id=request_id, to_status=S.DELIVERED, by=by, changes={"delivered_at": lambda now: at or now}
    )


def mark_returned(*, request_id: int, by=None, reason: str = "") -> DeliveryRequest:
    """The parcel came back (nobody home, refused, wrong address): shipped → returned. The case
    worker is emailed."""
    return _transition(request_id=request_id, to_status=S.RETURNED, by=by, note=reason)


# Shipping voided the request's parcel before it was handed over: from these statuses the request
# goes back to approved (rebooked into the next batch) or is cancelled (release_from_dispatch).
RELEASABLE = frozenset({S.SCHEDULED, S.PACKED, S.SHIPPED})


def release_from_dispatch(*, request_id: int, by, cancel: bool, note: str = "") -> DeliveryRequest:
    """Shipping voided the parcel (not handed over yet): the request leaves its batch. With
    ``cancel`` it is cancelled (nobody needs it any more); otherwise it is approved again with its
    first approval time and no batch, so the next batch books it. A tracking number of a voided
    label is cleared. No email: the case worker sees the event; a rebooked parcel still comes.

    A request already approved or cancelled changes nothing; other statuses raise
    InvalidTransition. Locks the request row. Outside ``TRANSITIONS`` on purpose: only shipping's
    void may move a request back."""
    target = S.CANCELLED if cancel else S.APPROVED
    with transaction.atomic():
        request = locks.lock_request(request_id)
        if request.status in (S.APPROVED, S.CANCELLED):
            return request
        if request.status not in RELEASABLE:
            raise InvalidTransition(
                _("A request that is %(status)s cannot leave its dispatch batch.")
                % {"status": request.get_status_display()},
                status=request.status,
                requested=target,
            )
        changes = {"batch_ref": "", "tracking_number": "", "tracking_url": "", "shipped_at": None}
        if cancel:
            changes["cancel_reason"] = note[:500]
        event = _apply(request, target, by=by, note=note, now=timezone.now(), changes=changes)
        request.save(update_fields=["status", "status_changed_at", *changes])
        event.save()
        announce_changes()
    return request


# --- Consent --------------------------------------------------------------------------------------


def record_consent(
    *, recipient_id: int, data: ConsentInput, by, organisation_id: int, request_id: int | None = None
) -> ConsentRecord:
    """Record a new decision (a later one supersedes the earlier for the same purpose). A refusal
    to share with the food bank cancels the person's open requests, as a withdrawal does."""
    with transaction.atomic():
        person = Recipient.objects.get(pk=recipient_id)
        request = (
            DeliveryRequest.objects.get(pk=request_id, recipient_id=recipient_id) if request_id else None
        )
        (record,) = _record_consents(
            person=person, consents=[data], by=by, organisation_id=organisation_id, request=request
        )
        if data.purpose == Purpose.SHARE_WITH_FOODBANK and data.decision == ConsentRecord.Decision.REFUSED:
            _stop_work_for(recipient_id=recipient_id, by=by, note=_("Consent to share refused."))
        if data.purpose == Purpose.REFERRAL and data.decision == ConsentRecord.Decision.REFUSED:
            _honour_referral_withdrawal(recipient_id=recipient_id, by=by, now=timezone.now())
    return record


def withdraw_consent(
    *, consent_id: int, by, organisation_id: int, withdrawn_at: datetime | None = None, note: str = ""
) -> ConsentRecord:
    """Withdraw a consent (its own record: when, by whom, for which organisation).

    Locks the consent row; ``ConsentAlreadyWithdrawn`` if it was. Withdrawing the consent to share
    with the food bank cancels the person's requests that are not packed yet and ends their
    monthly enrolment, in the same transaction: honoured everywhere at once. Tasks re-check
    consent when they run, so queued work stops too.
    """
    with transaction.atomic():
        consent = locks.lock_consent(consent_id)
        if ConsentWithdrawal.objects.filter(consent_id=consent.pk).exists():
            raise ConsentAlreadyWithdrawn()
        ConsentWithdrawal.objects.create(
            consent=consent,
            withdrawn_at=withdrawn_at or timezone.now(),
            recorded_by=by,
            recorded_by_organisation_id=organisation_id,
            note=note[:500],
        )
        if (
            consent.purpose == Purpose.SHARE_WITH_FOODBANK
            and selectors.valid_consent(
                recipient_id=consent.recipient_id, purpose=Purpose.SHARE_WITH_FOODBANK
            )
            is None
        ):
            _stop_work_for(recipient_id=consent.recipient_id, by=by, note=_("Consent withdrawn."))
        if consent.purpose == Purpose.REFERRAL:
            _honour_referral_withdrawal(recipient_id=consent.recipient_id, by=by, now=timezone.now())
        audit.record(
            actor=by,
            action=AuditEvent.Action.CHANGE,
            object_type="consent",
            object_id=consent.pk,
            subject_id=consent.recipient_id,
            food_bank_id=consent.food_bank_id,
            detail={"withdrawn": True, "purpose": consent.purpose},
        )
    return ConsentRecord.objects.select_related("withdrawal").get(pk=consent.pk)


def _stop_work_for(*, recipient_id: int, by, note: str) -> None:
    """Cancel the person's requests that are not packed yet and end their enrolments. Parcels
    already booked for them leave their batches first (``handover.withdraw_from_dispatch``)."""
    cancellable = DeliveryRequest.objects.filter(recipient_id=recipient_id, status__in=selectors.CANCELLABLE)
    ids = list(cancellable.values_list("pk", flat=True))
    withdrawn = handover.withdraw_from_dispatch(request_ids=ids, by=by, note=str(note))
    rows = [r for r in locks.lock_requests(ids) if r.status in selectors.CANCELLABLE]
    late = [r.pk for r in rows if r.status == S.SCHEDULED and r.pk not in withdrawn]
    if late:  # scheduled by the cutoff in between: take their parcels out under the requests' locks
        handover.withdraw_from_dispatch(request_ids=late, by=by, note=str(note))
    now = timezone.now()
    events = [
        _apply(r, S.CANCELLED, by=by, note=note, now=now, changes={"cancel_reason": note}) for r in rows
    ]
    DeliveryRequest.objects.bulk_update(rows, ["status", "status_changed_at", "cancel_reason"])
    DeliveryRequestEvent.objects.bulk_create(events)
    announce_changes()
    Enrolment.objects.filter(recipient_id=recipient_id, active=True).update(
        active=False, ends_on=timezone.localdate().replace(day=1)
    )


# --- Monthly programme ----------------------------------------------------------------------------


def enrol_in_monthly_programme(*, request_id: int, by, starts_on: date) -> Enrolment:
    """Enrol the household of request ``request_id`` in the monthly parcel from ``starts_on``'s
    month; each month's parcel copies that request's needs. Only single-parent households
    (``NotEnrolable``), with a valid consent to share (``ConsentRequired``); one active
    enrolment per person (``NotEnrolable``)."""
    with transaction.atomic():
        request = locks.lock_request(request_id)
        person = request.recipient
        if person.household_type != HouseholdType.SINGLE_PARENT:
            raise NotEnrolable()
        _check_share_consent(request)
        try:
            with transaction.atomic():
                enrolment = Enrolment.objects.create(
                    food_bank_id=request.food_bank_id,
                    recipient=person,
                    agency=request.agency,
                    enrolled_by=by,
                    template=request,
                    starts_on=starts_on.replace(day=1),
                )
        except IntegrityError:
            raise NotEnrolable(_("This household is already enrolled.")) from None
    return enrolment


def end_enrolment(*, enrolment_id: int, by, last_month: date) -> Enrolment:
    """End an enrolment after ``last_month`` (no parcels for later months)."""
    with transaction.atomic():
        enrolment = locks.lock_enrolment(enrolment_id)
        enrolment.ends_on = last_month.replace(day=1)
        enrolment.active = enrolment.ends_on >= timezone.localdate().replace(day=1)
        enrolment.save(update_fields=["ends_on", "active"])
    return enrolment


def create_monthly_requests(*, month: date) -> int:
    """Create ``month``'s delivery request for every enrolment due (approved right away: the
    enrolment was the triage). Exactly once per enrolment and month even when run twice or
    concurrently: ``(enrolment, programme_month)`` is unique and a conflict is skipped. Enrolments
    whose consent to share is no longer valid are skipped. Returns how many were created."""
    month = month.replace(day=1)
    due = list(selectors.enrolments_due(month=month))
    consenting = selectors.recipients_with_valid_consent(
        recipient_ids={e.recipient_id for e in due}, purpose=Purpose.SHARE_WITH_FOODBANK
    )
    created = 0
    for enrolment in due:
        if not enrolment.covers(month) or enrolment.recipient_id not in consenting:
            continue
        template = enrolment.template
        needs = NeedsInput(
            situation_category=template.situation_category,
            days_needed=template.days_needed,
            cooking=template.cooking,
            allergies=template.allergies,
            dietary_note=template.dietary_note,
            extras=template.extras,
            time_slot=template.time_slot,
        )
        try:
            with transaction.atomic():
                request, _event = _create_request(
                    food_bank_id=enrolment.food_bank_id,
                    source=DeliveryRequest.Source.PROGRAMME,
                    agency=enrolment.agency,
                    filed_by=enrolment.enrolled_by,
                    recipient=enrolment.recipient,
                    needs=needs,
                    enrolment=enrolment,
                    programme_month=month,
                )
                now = timezone.now()
                event = _apply(
                    request,
                    S.APPROVED,
                    by=None,
                    note=_("Monthly programme"),
                    now=now,
                    changes={"approved_at": now},
                )
                request.save(update_fields=["status", "status_changed_at", "approved_at"])
                event.save()
                announce_changes()
        except IntegrityError:
            continue  # another run created this month's request first
        created += 1
    return created


# --- Referrals back to consultation services ------------------------------------------------------

RS = Referral.Status
EK = ReferralEvent.Kind
# The referral trail (docs/spec.md §3.3): sent → acknowledged → contacted → closed.
REFERRAL_TRANSITIONS: dict[str, frozenset[str]] = {
    RS.SENT: frozenset({RS.ACKNOWLEDGED, RS.CONTACTED, RS.CLOSED}),
    RS.ACKNOWLEDGED: frozenset({RS.CONTACTED, RS.CLOSED}),
    RS.CONTACTED: frozenset({RS.CLOSED}),
    RS.CLOSED: frozenset(),
}


def create_referral(
    *,
    by,
    recipient_id: int,
    source: str,
    delivery_request_id: int | None = None,
    handout_id: int | None = None,
    target: Site | Organisation | None = None,
    needs: str = "",
    request=None,
) -> Referral:
    """Refer a consenting person to a consultation window or partner agency (status ``sent``).

    Needs the person's valid consent to referral (``ConsentRequired``, nothing written): it is
    found, locked (``SELECT … FOR UPDATE`` on the consent row, which a withdrawal also locks) and
    checked again under the lock, and it must cover consultation services as recipients of the
    data. ``target`` defaults to ``selectors.propose_target`` (``NoReferralTarget`` when nothing
    matches). Shares the consent's data categories with the target: records the provision
    (``audit.record_provision``) and the first event in the same transaction. The caller checks
    that ``by`` is a coordinator of the person's food bank.
    """
    with transaction.atomic():
        consent = selectors.valid_consent(recipient_id=recipient_id, purpose=Purpose.REFERRAL)
        if consent is not None:
            consent = locks.lock_consent(consent.pk)
            latest = selectors.valid_consent(recipient_id=recipient_id, purpose=Purpose.REFERRAL)
            if latest is None or latest.pk != consent.pk:
                consent = None
        if consent is None or "consultation_service" not in consent.data_recipients:
            raise ConsentRequired(
                _(
                    "The person has not consented to a referral to a consultation service, "
                    "or has withdrawn that consent."
                )
            )
        person = Recipient.objects.get(pk=recipient_id)
        if target is None:
            target = selectors.propose_target(person)
            if target is None:
                raise NoReferralTarget()
        _check_target(target, food_bank_id=person.food_bank_id)
        categories = sorted(set(consent.data_categories) & set(DATA_CATEGORIES))
        referral = Referral.objects.create(
            food_bank_id=person.food_bank_id,
            recipient=person,
            consent=consent,
            source=source,
            delivery_request_id=delivery_request_id,
            handout_id=handout_id,
            target_site=target if isinstance(target, Site) else None,
            target_organisation=target if isinstance(target, Organisation) else None,
            shared_categories=categories,
            needs=needs,
            created_by=by,
        )
        ReferralEvent.objects.create(referral=referral, kind=EK.SENT, by=by)
        audit.record_provision(
            food_bank_id=person.food_bank_id,
            subject_ids=[person.pk],
            data_categories=[*categories, "municipality", "needs"],
            basis="consent",
            trigger_type="referral",
            trigger_id=referral.pk,
            recipient_organisation=target.organisation if isinstance(target, Site) else target,
            recipient_name=str(target),
            provided_by=by,
        )
        audit.record(
            actor=by,
            action=AuditEvent.Action.CREATE,
            object_type="referral",
            object_id=referral.pk,
            subject_id=person.pk,
            food_bank_id=person.food_bank_id,
            request=request,
        )
    return referral


def _check_target(target, *, food_bank_id: int) -> None:
    sites, organisations = selectors.referral_targets(food_bank_id)
    queryset = sites if isinstance(target, Site) else organisations
    if not queryset.filter(pk=target.pk).exists():
        raise ValueError("A referral goes to an active window or partner agency of the person's food bank.")


def _referral_step(
    *, referral_id: int, to_status: str, by, note: str = "", kind: str, changes: dict
) -> Referral:
    with transaction.atomic():
        referral = locks.lock_referral(referral_id)
        if to_status not in REFERRAL_TRANSITIONS[referral.status]:
            raise InvalidTransition(
                _("A referral that is %(status)s cannot become %(target)s.")
                % {"status": referral.get_status_display(), "target": RS(to_status).label},
                status=referral.status,
                requested=to_status,
            )
        referral.status = to_status
        for name, value in changes.items():
            setattr(referral, name, value)
        referral.save(update_fields=["status", *changes])
        ReferralEvent.objects.create(referral=referral, kind=kind, by=by, note=note)
        announce_changes()
    return referral


def acknowledge_referral(*, referral_id: int, by) -> Referral:
    """The target has seen the referral: sent → acknowledged (no escalation after this)."""
    return _referral_step(
        referral_id=referral_id,
        to_status=RS.ACKNOWLEDGED,
        by=by,
        kind=EK.ACKNOWLEDGED,
        changes={"acknowledged_at": timezone.now()},
    )


def record_referral_contact(*, referral_id: int, by, contacted_on: date, outcome: str) -> Referral:
    """The target reached the person on ``contacted_on``: → contacted, with the outcome."""
    changes: dict = {"contacted_on": contacted_on, "contact_outcome": outcome}
    with transaction.atomic():
        referral = locks.lock_referral(referral_id)
        if referral.acknowledged_at is None and referral.status == RS.SENT:
            changes["acknowledged_at"] = timezone.now()
        return _referral_step(
            referral_id=referral_id,
            to_status=RS.CONTACTED,
            by=by,
            note=outcome,
            kind=EK.CONTACTED,
            changes=changes,
        )


def close_referral(*, referral_id: int, by, outcome: str) -> Referral:
    """The target (or the coordinator) closes the referral with its outcome."""
    return _referral_step(
        referral_id=referral_id,
        to_status=RS.CLOSED,
        by=by,
        note=outcome,
        kind=EK.CLOSED,
        changes={"closed_at": timezone.now(), "outcome": outcome},
    )


def _honour_referral_withdrawal(*, recipient_id: int, by, now) -> int:
    """The person no longer consents to referral: every referral of theirs hides its personal
    details from the target at once, and open ones are closed. Same transaction as the
    withdrawal; returns how many referrals were affected."""
    if selectors.valid_consent(recipient_id=recipient_id, purpose=Purpose.REFERRAL) is not None:
        return 0
    ids = Referral.objects.filter(recipient_id=recipient_id, consent_withdrawn_at__isnull=True).values_list(
        "pk", flat=True
    )
    rows = [r for r in locks.lock_referrals(list(ids)) if r.consent_withdrawn_at is None]
    events = []
    for referral in rows:
        referral.consent_withdrawn_at = now
        events.append(ReferralEvent(referral=referral, kind=EK.CONSENT_WITHDRAWN, by=by))
        if referral.status != RS.CLOSED:
            referral.status = RS.CLOSED
            referral.closed_at = now
            events.append(ReferralEvent(referral=referral, kind=EK.CLOSED, by=by))
    Referral.objects.bulk_update(rows, ["consent_withdrawn_at", "status", "closed_at"])
    ReferralEvent.objects.bulk_create(events)
    if events:
        announce_changes()
    return len(rows)


def escalate_referral(*, referral_id: int) -> bool:
    """Escalate one unacknowledged referral to the coordinators: flag, event, email (after
    commit). Exactly once: the flag is claimed with a conditional UPDATE, so a second run (or a
    second worker) finds nothing to do. Returns whether this call escalated it."""
    with transaction.atomic():
        claimed = Referral.objects.filter(pk=referral_id, status=RS.SENT, escalated_at__isnull=True).update(
            escalated_at=timezone.now()
        )
        if not claimed:
            return False
        ReferralEvent.objects.create(referral_id=referral_id, kind=EK.ESCALATED, by=None)
        outbox.enqueue("referrals.tasks.email_referral_escalation_task", referral_id=referral_id)
    return True


def escalate_overdue_referrals(*, today: date | None = None) -> int:
    """Escalate every referral unacknowledged for ``REFERRAL_ESCALATE_AFTER_WORKING_DAYS``
    working days; returns how many were escalated by this run."""
    today = today or timezone.localdate()
    ids = selectors.referrals_to_escalate(
        today=today, after_working_days=settings.REFERRAL_ESCALATE_AFTER_WORKING_DAYS
    )
    return sum(escalate_referral(referral_id=pk) for pk in ids)


def record_handout_contact(
    *,
    handout_id: int,
    by,
    recipient: RecipientInput,
    household_type: str,
    household_size: int | None,
    method: str = ConsentRecord.Method.VERBAL,
    witness_name: str = "",
    data_categories: Sequence[str] | None = None,
) -> HandoutContact:
    """At a window handout where the person ticked ``referral_consent`` and gave a name and
    contact: record them as a recipient with a consent to referral (verbal, the window staff
    member as witness by default), linked to the handout. ``ConsentRequired`` when the handout
    carries no referral consent (or was voided); ``ContactAlreadyRecorded`` when a contact was
    already recorded (nothing written).
    ``data_categories`` are what the person agreed may be passed on (default: the referral
    consent's usual scope). The caller checks that ``by`` works at the handout's window."""
    from inventory.models import Handout

    with transaction.atomic():
        handout = Handout.objects.select_related("site").get(pk=handout_id)
        if not handout.referral_consent or handout.voided_at is not None:
            raise ConsentRequired(_("The person did not consent to a referral at this handout."))
        if HandoutContact.objects.filter(handout_id=handout_id).exists():
            raise ContactAlreadyRecorded()
        person = _create_recipient(
            food_bank_id=handout.food_bank_id,
            agency=handout.site.organisation,
            data=recipient,
            # A handout's household may be "not recorded" (type unknown, no size); a recipient has a
            # type among the shared codes, and "other" says no more than that.
            household=HouseholdInput(
                type=household_type if household_type in HouseholdType.values else HouseholdType.OTHER,
                adults=max(1, household_size or 1),
            ),
        )
        _record_consents(
            person=person,
            consents=[
                ConsentInput(
                    purpose=Purpose.REFERRAL,
                    method=method,
                    witness_name=witness_name or (by.get_full_name() or by.get_username()),
                    decided_at=handout.occurred_at,
                    data_categories=data_categories,
                )
            ],
            by=by,
            organisation_id=handout.site.organisation_id,
        )
        try:
            with transaction.atomic():
                contact = HandoutContact.objects.create(handout=handout, recipient=person)
        except IntegrityError:
            # Two taps raced past the check above: the first one's contact stands.
            raise ContactAlreadyRecorded() from None
        audit.record(
            actor=by,
            action=AuditEvent.Action.CREATE,
            object_type="handout_contact",
            object_id=contact.pk,
            subject_id=person.pk,
            food_bank_id=handout.food_bank_id,
        )
    return contact


def record_feedback(
    *,
    food_bank_id: int,
    by,
    message: str,
    may_be_published: bool,
    received_on: date,
    recipient_id: int | None = None,
) -> Feedback:
    """A recipient's message, private unless they said it may be published."""
    return Feedback.objects.create(
        food_bank_id=food_bank_id,
        recipient_id=recipient_id,
        message=message,
        may_be_published=may_be_published,
        received_on=received_on,
        recorded_by=by,
    )
