"""Refuse hostile input before any view sees it.

- A body larger than ``MAX_REQUEST_BODY_SIZE`` (by its Content-Length), or a form or JSON body over
  ``DATA_UPLOAD_MAX_MEMORY_SIZE``, is 413 ``request_too_large``.
- A NUL byte in the path, a query parameter, a header value, a form field, or a JSON
  string (``\\u0000``) is 400 ``invalid_characters``. PostgreSQL cannot store NUL in text, so without
  this such input would end in a 500 wherever it reaches a query.

- A body of a media type the API view does not parse (a form posted to a JSON-only operation) is
  415 ``unsupported_media_type``, even though the NUL check above already parsed the form (DRF would
  otherwise see an empty body and answer 400 per field).

API paths (``/api/``) answer JSON ``{code, detail}``; pages answer a short plain-text 400/413.

And a database that went away mid-request (PostgreSQL restarted) is 503 with Retry-After, not 500
(``DatabaseUnavailableMiddleware``).
"""

import logging
import re

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.cache import patch_cache_control
from django.utils.html import escape
from django.utils.translation import gettext as _
from rest_framework.utils.mediatypes import media_type_matches

from .ids import out_of_range_parameters

logger = logging.getLogger(__name__)

NUL = "\x00"
# \u0000 in JSON text, unless its backslash is itself escaped (an odd number of backslashes).
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


def _has_nul_in_query(query) -> bool:
    return any(NUL in key or any(NUL in v for v in values) for key, values in query.lists())


def _header_has_nul(meta) -> bool:
    return any(
        NUL in value
        for name, value in meta.items()
        if isinstance(value, str) and (name.startswith("HTTP_") or name in {"CONTENT_TYPE", "QUERY_STRING"})
    )


def _refuse(request, *, status: int, code: str, detail: str):
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"code": code, "detail": detail}, status=status, json_dumps_params={"ensure_ascii": False}
        )
    return HttpResponse(detail, status=status, content_type="text/plain; charset=utf-8")


def _too_large(request):
    return _refuse(
        request,
        status=413,
        code="request_too_large",
        detail=_("The request is too large."),
    )


def _invalid_characters(request):
    return _refuse(
        request,
        status=400,
        code="invalid_characters",
        detail=_("The request contains a NUL character, which is not allowed."),
    )


def _empty_body(request) -> bool:
    """No body to parse (an action like approve): any content type will do, e.g. a client that
    labels an empty POST text/plain."""
    length = request.META.get("CONTENT_LENGTH") or "0"
    return length.isascii() and length.isdigit() and int(length) == 0


class RequestGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        refusal = self.check(request)
        if refusal is not None:
            return refusal
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        view_class = getattr(view_func, "cls", None)
        if view_class is None or not hasattr(view_class, "parser_classes"):
            return None  # not a DRF view: pages keep their forms
        if request.method not in ("POST", "PUT", "PATCH") or _empty_body(request):
            return None
        content_type = request.content_type or ""
        if any(media_type_matches(p.media_type, content_type) for p in view_class.parser_classes):
            return None
        return _refuse(
            request,
            status=415,
            code="unsupported_media_type",
            detail=_('Unsupported media type "%(type)s": send JSON (application/json).')
            % {"type": content_type},
        )

    def check(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.MAX_REQUEST_BODY_SIZE:
            return _too_large(request)
        content_type = request.content_type or ""
        try:
            if NUL in request.path or _header_has_nul(request.META) or _has_nul_in_query(request.GET):
                return _invalid_characters(request)
            if not length:
                return None
            if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
                # Django parses form bodies of POSTs only; DRF parses the others itself.
                # (Uploaded file names need no check: Django drops non-printable characters.)
                if request.method == "POST" and _has_nul_in_query(request.POST):
                    return _invalid_characters(request)
            elif content_type == "application/json" or content_type.endswith("+json"):
                body = request.body
                if b"\x00" in body or (b"\\u0000" in body and _JSON_NUL.search(body)):
                    return _invalid_characters(request)
        except RequestDataTooBig:
            return _too_large(request)
        except (TooManyFieldsSent, MultiPartParserError, SuspiciousOperation):
            return _refuse(
                request, status=400, code="malformed_request", detail=_("The request body cannot be read.")
            )
        return None


# --- The database went away ------------------------------------------------------------------------

# Retry-After (seconds) on a 503: a restarted PostgreSQL takes a few seconds to take connections.
DATABASE_RETRY_AFTER = 5


def is_database_unavailable(exc: BaseException | None) -> bool:
    """A lost or refused database connection (a restart, a failover, a network cut), or a
    transaction the database rolled back to resolve a conflict: a retry will do."""
    return isinstance(exc, OperationalError | InterfaceError)


def database_unavailable(request):
    """503 with Retry-After: JSON ``{code, detail}`` under /api/, a short page elsewhere."""
    detail = _("The service is briefly unavailable. Please try again in a few seconds.")
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {"code": "service_unavailable", "detail": detail},
            status=503,
            json_dumps_params={"ensure_ascii": False},
        )
    else:
        response = HttpResponse(
            '<!doctype html><html lang="ja"><meta charset="utf-8"><title>503</title>'
            f'<p role="alert">{escape(detail)}</p>',
            status=503,
            content_type="text/html; charset=utf-8",
        )
    response["Retry-After"] = str(DATABASE_RETRY_AFTER)
    return response


class DatabaseUnavailableMiddleware:
    """A view that lost its database answers 503 (+ Retry-After), not 500. (DRF views answer the
    same from ``foodbank.api.exceptions``; errors outside any view reach ``foodbank.views.server_error``.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_database_unavailable(exception):
            return None
        logger.warning("Database unavailable during %s: %s", request.path, type(exception).__name__)
        return database_unavailable(request)


class NoStoreMiddleware:
    """``Cache-Control: no-store`` on every answer that has not set its own caching: pages, API
    answers and documents hold personal data, which must not stay in a shared computer's browser
    cache or a proxy's (a window's PC is used by several people). Static files are served by
    WhiteNoise before this runs, with their own long-lived caching."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            patch_cache_control(response, no_store=True, private=True)
        return response


class IntegerRangeMiddleware:
    """An integer path or query parameter beyond PostgreSQL's bigint is 400 ``out_of_range``
    (``foodbank.ids``), JSON on the API, before the view runs: never a 500 from the database."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        names = out_of_range_parameters(path_kwargs=view_kwargs, query=request.GET)
        if not names:
            return None
        if request.path.startswith("/api/"):
            return JsonResponse(
                {"code": "out_of_range", "detail": _("The number is out of range."), "parameters": names},
                status=400,
                json_dumps_params={"ensure_ascii": False},
            )
        return _refuse(
            request,
            status=400,
            code="out_of_range",
            detail=_("%(names)s: the number is out of range.") % {"names": ", ".join(names)},
        )
