"""One way to refuse, mapped to HTTP in one place (foodbank/api/exceptions.py): a service's bad-input
errors answer in DRF's 400 shape whichever kind it raised, domain refusals as ``{code, detail}``."""

from django.core.exceptions import ValidationError
from rest_framework.views import APIView

from foodbank.api.exceptions import exception_handler
from foodbank.exceptions import DomainError, FieldErrors


def _answer(exc):
    response = exception_handler(exc, {"view": APIView()})
    return response.status_code, response.data


def test_field_errors_answer_as_a_serializer_would():
    assert _answer(FieldErrors({"phone": ["電話番号を入力してください。"]})) == (
        400,
        {"phone": ["電話番号を入力してください。"]},
    )


def test_django_validation_errors_answer_by_field_or_as_non_field_errors():
    assert _answer(ValidationError({"lines": ["Count at least one lot."]})) == (
        400,
        {"lines": ["Count at least one lot."]},
    )
    assert _answer(ValidationError("The food bank has no active warehouse.")) == (
        400,
        {"non_field_errors": ["The food bank has no active warehouse."]},
    )


def test_domain_errors_keep_their_code_and_status():
    assert _answer(DomainError("Not now.")) == (409, {"code": "domain_error", "detail": "Not now."})
