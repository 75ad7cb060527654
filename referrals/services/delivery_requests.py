"""Delivery requests: filing, triage and the lifecycle shipping drives."""

from collections.abc import Callable, Iterable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from foodbank import audit, outbox
from foodbank.bulk import column_name
from foodbank.exceptions import InvalidTransition
from foodbank.lookups import AnyOf
from foodbank.models import AuditEvent, Organisation
from foodbank.transactions import service_transaction

from .. import handover, locks, selectors
from ..exceptions import DuplicateClientReference
from ..models import COOKING_KEYS, DeliveryRequest, DeliveryRequestEvent, Recipient
from ._common import ANNOUNCE_TASK, Purpose, S, _after_events, _apply, _check, _transition, announce_changes
from .consents import (
    ConsentInput,
    _check_share_consent,
    _consent_row,
    _record_consents,
    _require_share_consent,
)
from .filing_statement import write_filing
from .recipients import HouseholdInput, RecipientInput, _create_recipient, _recipient_row


@dataclass(frozen=True)
class NeedsInput:
    situation_category: str
    situation_note: str = ""
    no_food_today: bool = False
    days_needed: int = 7
    cooking: dict[str, bool] = field(default_factory=dict)
    allergies: str = ""
    allergens: Sequence[str] = ()  # codes of inventory.allergens, checked by the caller
    dietary_note: str = ""
    extras: Sequence[dict[str, Any]] = ()
    delivery_date: date | None = None
    time_slot: str = ""


def file_delivery_request(
    *,
    filed_by: User | None,
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

    On PostgreSQL the filing is one statement that may commit the transaction it runs in: its own,
    or, run as the work of an ``Idempotency-Key``, the caller's, the statement completing the key
    (``filing_statement``). The caller then writes nothing more in that transaction.
    """
    _require_share_consent(consents)
    food_bank_id = agency.food_bank_id_for_scope
    if connection.vendor != "postgresql":
        return _file_with_orm(
            filed_by=filed_by,
            agency=agency,
            food_bank_id=food_bank_id,
            recipient=recipient,
            household=household,
            needs=needs,
            consents=consents,
            client_reference=client_reference,
        )
    with service_transaction():  # joins idempotent_create's transaction: no BEGIN of its own
        # A reference the agency used already is refused by the unique constraint (below), not
        # looked up first: the statement is then the work's only one, and completes the key.
        person = _recipient_row(food_bank_id=food_bank_id, agency=agency, data=recipient, household=household)
        request = _request_row(
            food_bank_id=food_bank_id,
            source=DeliveryRequest.Source.AGENCY,
            agency=agency,
            filed_by=filed_by,
            recipient=person,
            needs=needs,
            client_reference=client_reference,
        )
        submitted = DeliveryRequestEvent(request=request, by=filed_by, from_status="", to_status=S.SUBMITTED)
        message = outbox.build(ANNOUNCE_TASK)  # announce_changes' message, written with the rest
        now = timezone.now()
        recorded = [
            _consent_row(
                person=person, data=c, by=filed_by, organisation_id=agency.pk, request=request, now=now
            )
            for c in consents
        ]
        created = audit.build(
            actor=filed_by,
            action=AuditEvent.Action.CREATE,
            object_type="delivery_request",
            object_id=None,  # the request's id, in the statement
            food_bank_id=food_bank_id,
        )
        try:
            write_filing(person, request, submitted, message, recorded, created)
        except IntegrityError as exc:
            # The agency used the reference already, or a request filed at the same moment did (the
            # transaction is rolled back: nothing of the filing is kept).
            if _constraint(exc) == "delivery_request_unique_client_reference":
                raise DuplicateClientReference() from None
            raise
        outbox.send_after_commit(message)
    # The person is new, so this is their whole history: the answer needs no query to read it back.
    selectors.remember_new_history(request, events=[submitted], consents=recorded)
    return request


def _refuse_used_reference(agency: Organisation, client_reference: str) -> None:
    """``DuplicateClientReference`` when the agency already filed a request under the reference (the
    ORM's path; a race past this check is refused by the unique constraint, as every reuse is on
    PostgreSQL's one statement)."""
    if (
        client_reference
        and DeliveryRequest.objects.filter(agency=agency, client_reference=client_reference).exists()
    ):
        raise DuplicateClientReference()


def _constraint(exc: IntegrityError) -> str | None:
    diag = getattr(exc.__cause__, "diag", None)
    return getattr(diag, "constraint_name", None)


def _file_with_orm(
    *,
    filed_by: User | None,
    agency: Organisation,
    food_bank_id: int,
    recipient: RecipientInput,
    household: HouseholdInput,
    needs: NeedsInput,
    consents: Sequence[ConsentInput],
    client_reference: str,
) -> DeliveryRequest:
    """``file_delivery_request`` where the database is not PostgreSQL (the embedded SQLite set-up):
    the same rows, written by the ORM."""
    with service_transaction():
        _refuse_used_reference(agency, client_reference)
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
    selectors.remember_new_history(request, events=[submitted], consents=recorded)
    return request


def _create_request(
    *,
    food_bank_id: int,
    source: str,
    agency: Organisation | None,
    filed_by: User | None,
    recipient: Recipient,
    needs: NeedsInput,
    **extra: Any,
) -> tuple[DeliveryRequest, DeliveryRequestEvent]:
    """The request and its first event (``submitted``)."""
    request = _request_row(
        food_bank_id=food_bank_id,
        source=source,
        agency=agency,
        filed_by=filed_by,
        recipient=recipient,
        needs=needs,
        **extra,
    )
    request.save(force_insert=True)
    event = DeliveryRequestEvent.objects.create(
        request=request, by=filed_by, from_status="", to_status=S.SUBMITTED
    )
    announce_changes()
    return request, event


def _request_row(
    *,
    food_bank_id: int,
    source: str,
    agency: Organisation | None,
    filed_by: User | None,
    recipient: Recipient,
    needs: NeedsInput,
    **extra: Any,
) -> DeliveryRequest:
    """The request, not saved yet."""
    return DeliveryRequest(
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
        allergens=list(needs.allergens),
        dietary_note=needs.dietary_note,
        extras=[dict(e) for e in needs.extras],
        delivery_date=needs.delivery_date,
        time_slot=needs.time_slot,
        **{key: bool(needs.cooking.get(key, False)) for key in COOKING_KEYS},
        **extra,
    )


def approve_request(*, request_id: int, by: User | None, note: str = "") -> DeliveryRequest:
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


def _leave_dispatch(*, by: User | None, note: str, withdrawn: set[int]) -> Callable[[DeliveryRequest], None]:
    """A ``_transition`` check: a request scheduled between ``withdraw_from_dispatch`` and its lock
    (the cutoff ran in between) has its parcel taken out now, under the request's lock."""

    def check(request: DeliveryRequest) -> None:
        if request.status == S.SCHEDULED and request.pk not in withdrawn:
            handover.withdraw_from_dispatch(request_ids=[request.pk], by=by, note=note)

    return check


def decline_request(*, request_id: int, by: User | None, reason: str) -> DeliveryRequest:
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


def cancel_request(*, request_id: int, by: User | None, reason: str = "") -> DeliveryRequest:
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


def mark_scheduled(*, request_id: int, batch_ref: str, by: User | None = None) -> DeliveryRequest:
    """Shipping put the request into dispatch batch ``batch_ref``: approved → scheduled.
    Re-checks the consent to share (``ConsentRequired``)."""
    return _transition(
        request_id=request_id,
        to_status=S.SCHEDULED,
        by=by,
        note=batch_ref,
        # What an earlier batch's packing did about the allergies goes: this batch's tells anew.
        changes={"batch_ref": batch_ref, "allergen_packing": []},
        check=_check_share_consent,
    )


def schedule_for_batch(*, request_ids: Iterable[int], batch_ref: str, by: User | None = None) -> list[int]:
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
            # What an earlier batch's packing did about the allergies goes: this batch's tells anew.
            status=S.SCHEDULED,
            status_changed_at=now,
            batch_ref=batch_ref,
            allergen_packing=[],
        )
        _log_scheduled(chosen, by=by, note=batch_ref, at=now)
        announce_changes()
    return chosen


def _log_scheduled(request_ids: list[int], *, by: User | None, note: str, at: datetime) -> None:
    """The approved → scheduled event of each request, with one ``INSERT … SELECT`` (a dispatch
    batch schedules thousands; building an event model for each costs more than the statement)."""
    qn = connection.ops.quote_name
    event, request = DeliveryRequestEvent._meta, DeliveryRequest._meta
    names = ("request", "at", "by", "from_status", "to_status", "note", "fields")
    columns = ", ".join(qn(column_name(event.get_field(name))) for name in names)
    json_cast = "::jsonb" if connection.vendor == "postgresql" else ""
    ids: list[Any]
    if connection.vendor == "postgresql":  # one array parameter, not 10,000 (foodbank.lookups.AnyOf)
        where, ids = f"= ANY(%s::{request.pk.db_type(connection)}[])", [list(request_ids)]
    else:
        where, ids = f"IN ({', '.join('%s' for _ in request_ids)})", list(request_ids)
    pk = qn(column_name(request.pk))
    sql = (
        f"INSERT INTO {qn(event.db_table)} ({columns}) "  # noqa: S608 (names from _meta, values bound)
        f"SELECT {pk}, %s, %s, %s, %s, %s, %s{json_cast} FROM {qn(request.db_table)} "
        f"WHERE {pk} {where} ORDER BY {pk}"
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


def mark_packed(*, request_id: int, by: User | None = None) -> DeliveryRequest:
    """A volunteer packed the parcel: scheduled → packed (no cancelling after this)."""
    return _transition(request_id=request_id, to_status=S.PACKED, by=by)


def mark_shipped(
    *, request_id: int, tracking_number: str, tracking_url: str, by: User | None = None
) -> DeliveryRequest:
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


def mark_many_shipped(*, shipments: Iterable[tuple[int, str, str]], by: User | None = None) -> list[int]:
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


def mark_delivered(*, request_id: int, by: User | None = None, at: datetime | None = None) -> DeliveryRequest:
    """The courier delivered it: shipped → delivered."""
    return _transition(
        request_id=request_id, to_status=S.DELIVERED, by=by, changes={"delivered_at": lambda now: at or now}
    )


def mark_returned(*, request_id: int, by: User | None = None, reason: str = "") -> DeliveryRequest:
    """The parcel came back (nobody home, refused, wrong address): shipped → returned. The case
    worker is emailed."""
    return _transition(request_id=request_id, to_status=S.RETURNED, by=by, note=reason)


# Shipping voided the request's parcel before it was handed over: from these statuses the request
# goes back to approved (rebooked into the next batch) or is cancelled (release_from_dispatch).
RELEASABLE = frozenset({S.SCHEDULED, S.PACKED, S.SHIPPED})


def release_from_dispatch(
    *, request_id: int, by: User | None, cancel: bool, note: str = ""
) -> DeliveryRequest:
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
        # The voided parcel's allergy note goes with it: no parcel is packed for the request now.
        changes: dict[str, Any] = {
            "batch_ref": "",
            "tracking_number": "",
            "tracking_url": "",
            "shipped_at": None,
            "allergen_packing": [],
        }
        if cancel:
            changes["cancel_reason"] = note[:500]
        event = _apply(request, target, by=by, note=note, now=timezone.now(), changes=changes)
        request.save(update_fields=["status", "status_changed_at", *changes])
        event.save()
        announce_changes()
    return request
