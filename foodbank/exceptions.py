"""The project's refusals, mapped to HTTP in one place (``foodbank/api/exceptions.py``).

- ``DomainError``: a refusal that is not input validation (a state, a conflict, a limit). Each
  carries a stable machine-readable ``code`` and an HTTP status and becomes ``{"code": ...,
  "detail": ...}`` (docs/spec.md §4). Apps subclass it in ``<app>/exceptions.py``.
- Bad input found by a service: ``FieldErrors`` (field name -> messages), or Django's
  ``ValidationError`` where a model's own rules say it. Both become DRF's 400 shape, so a service
  raises them without knowing whether a page or the API called it; forms show them on the field.
"""

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    code = "domain_error"
    status_code = 409
    default_message = _("The request cannot be carried out in the current state.")

    def __init__(self, message=None, **extra) -> None:
        self.message = message or self.default_message
        self.extra = extra
        super().__init__(str(self.message))


class InvalidTransition(DomainError):
    code = "invalid_transition"
    default_message = _("This status change is not allowed.")


class IdempotencyKeyReused(DomainError):
    code = "idempotency_key_reused"
    status_code = 422
    default_message = _("This Idempotency-Key was already used with a different request body.")


class IdempotencyKeyInUse(DomainError):
    code = "idempotency_key_in_use"
    status_code = 409
    default_message = _("A request with this Idempotency-Key is still being processed; retry shortly.")


class UploadTooLarge(DomainError):
    code = "upload_too_large"
    status_code = 413
    default_message = _("The uploaded file is too large.")


class TooManyRows(DomainError):
    code = "too_many_rows"
    status_code = 413
    default_message = _("The file has more rows than this import accepts.")


class InvalidUpload(DomainError):
    code = "invalid_upload"
    status_code = 400
    default_message = _("The uploaded file cannot be read.")


class PreconditionFailed(DomainError):
    """``If-Match`` named a version that is no longer the resource's: someone changed it since it
    was read. Nothing was written; read it again and repeat the change (docs/trust.md)."""

    code = "precondition_failed"
    status_code = 412
    default_message = _("The request was changed since you read it: reload it and make your change again.")


class FieldErrors(Exception):
    """Bad input, by field: ``{"phone": ["..."]}``. A form puts each message on its field; the API
    answers 400 with the same mapping."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        super().__init__(errors)
