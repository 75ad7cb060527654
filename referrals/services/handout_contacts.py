"""The contact behind a window handout: the person who asked to be referred."""

from collections.abc import Sequence

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from foodbank import audit
from foodbank.models import AuditEvent
from inventory.models import Handout

from ..exceptions import ConsentRequired, ContactAlreadyRecorded
from ..models import ConsentRecord, HandoutContact, HouseholdType
from ._common import Purpose
from .consents import ConsentInput, _record_consents
from .recipients import HouseholdInput, RecipientInput, _create_recipient


def record_handout_contact(
    *,
    handout_id: int,
    by: User,
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
