"""Refusals of the referrals domain (mapped to ``{"code", "detail"}`` by the API handler)."""

from django.utils.translation import gettext_lazy as _

from foodbank.exceptions import DomainError


class ConsentRequired(DomainError):
    code = "consent_required"
    status_code = 409
    default_message = _("There is no valid consent for this purpose (never given, refused or withdrawn).")


class ConsentAlreadyWithdrawn(DomainError):
    code = "consent_already_withdrawn"
    status_code = 409
    default_message = _("This consent has already been withdrawn.")


class DuplicateApplication(DomainError):
    code = "duplicate_application"
    status_code = 409
    default_message = _("This Navi application was already received.")


class DuplicateClientReference(DomainError):
    code = "duplicate_client_reference"
    status_code = 409
    default_message = _("Your agency already filed a request with this reference.")


class NotEnrolable(DomainError):
    code = "not_enrolable"
    status_code = 409
    default_message = _("Only single-parent households can be enrolled in the monthly parcel.")


class NoReferralTarget(DomainError):
    code = "no_referral_target"
    status_code = 409
    default_message = _(
        "No consultation window or agency serves this person's municipality or region: choose a target."
    )


class NoReferralSubject(DomainError):
    code = "no_referral_subject"
    status_code = 409
    default_message = _("This handout has no named person to refer: record their name and contact first.")


class ContactAlreadyRecorded(DomainError):
    code = "contact_already_recorded"
    status_code = 409
    default_message = _("The person's name and contact were already recorded for this handout.")


class NotCorrectable(DomainError):
    code = "not_correctable"
    status_code = 409
    default_message = _(
        "This request can no longer be corrected: the filing agency corrects it until it is approved, "
        "the food bank's coordinators until its parcel is packed."
    )
