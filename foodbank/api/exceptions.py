"""One exception handler for the API: DRF's shapes for validation (also for a service's
``FieldErrors`` and Django ``ValidationError``), ``{code, detail}`` for domain refusals, 413 for
oversized bodies, 503 (not 500) when the database went away mid-request, and a JSON 500
``server_error`` for anything unforeseen (logged with its traceback)."""

import logging

from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.utils.translation import gettext as _
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from foodbank.exceptions import DomainError, FieldErrors

logger = logging.getLogger(__name__)


def exception_handler(exc, context):
    # A service refusing bad input answers as a serializer would (foodbank/exceptions.py).
    if isinstance(exc, FieldErrors):
        exc = serializers.ValidationError(exc.errors)
    elif isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = serializers.ValidationError(detail)
    if isinstance(exc, DomainError):
        body = {"code": exc.code, "detail": str(exc.message)}
        body.update(exc.extra)
        return Response(body, status=exc.status_code)
    if isinstance(exc, RequestDataTooBig):
        return Response(
            {"code": "request_too_large", "detail": _("The request is too large.")},
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, ValueError) and "NUL" in str(exc):
        # The database driver refusing a NUL character that got past foodbank.middleware (e.g. in
        # a multipart PUT, which Django does not parse): the client's input, not a server fault.
        return Response(
            {"code": "invalid_characters", "detail": _("The request contains a NUL character.")},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, OperationalError | InterfaceError):
        logger.warning(
            "Database unavailable during %s: %s", context.get("view").__class__.__name__, type(exc).__name__
        )
        return Response(
            {"code": "service_unavailable", "detail": _("The database is unavailable; retry shortly.")},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "5"},
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        # Anything unforeseen is still JSON with a stable code (issue #21, item 5); the traceback
        # goes to the log, never to the client.
        logger.error(
            "Unhandled error in %s",
            context.get("view").__class__.__name__,
            exc_info=(type(exc), exc, exc.__traceback__),
        )
        set_rollback()
        return Response(
            {"code": "server_error", "detail": _("An unexpected error occurred; it has been logged.")},
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    if isinstance(response.data, dict) and "detail" in response.data:
        code = getattr(response.data["detail"], "code", None)
        if code and "code" not in response.data:
            response.data["code"] = code
    return response
