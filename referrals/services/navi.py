"""Navi intake: self-referrals from the Support Information Navi."""

from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction

from foodbank import audit
from foodbank.models import AuditEvent, Organisation

from ..exceptions import DuplicateApplication
from ..models import DeliveryRequest, NaviApplication
from .consents import ConsentInput, _record_consents, _require_share_consent
from .delivery_requests import NeedsInput, _create_request
from .recipients import HouseholdInput, RecipientInput, _create_recipient


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


def receive_navi_application(
    *,
    by: User | None,
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
