"""Refusals of the shipping domain (see foodbank.exceptions.DomainError)."""

from django.utils.translation import gettext_lazy as _

from foodbank.exceptions import DomainError


class UnknownCarrier(DomainError):
    code = "unknown_carrier"
    status_code = 400
    default_message = _("There is no carrier with this code.")


class CarrierAccountIncomplete(DomainError):
    """The carrier account cannot produce a valid file; ``problems`` says which fields."""

    code = "carrier_account_incomplete"
    default_message = _("The carrier account is missing settings the carrier requires.")

    def __init__(self, problems, message=None) -> None:
        self.problems = list(problems)
        super().__init__(message, problems=[p.as_dict() for p in self.problems])


class TrackingNotSupported(DomainError):
    code = "tracking_not_supported"
    default_message = _("This carrier does not issue tracking numbers.")


class TrackingFileUnreadable(DomainError):
    code = "tracking_file_unreadable"
    status_code = 400
    default_message = _("The file is not a CSV file exported from B2 Cloud.")


class FontNotFound(DomainError):
    """No Japanese TrueType font for PDFs: a set-up problem, reported as a server error."""

    code = "pdf_font_not_found"
    status_code = 500
    default_message = _("No Japanese TrueType font is available for PDF documents.")
