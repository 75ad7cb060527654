"""The client's address behind proxies, and the answer to a refused login (django-axes lockout): the
login page in the user's language, or JSON for the API."""

from datetime import timedelta

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import ngettext

LOCKED_OUT_CODE = "login_locked_out"


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT proxies the address the
    outermost trusted proxy put in X-Forwarded-For (entries further left can be forged).

    Used by the audit log ("from where"), the login lockout and the API throttles
    (``foodbank.throttling``).
    """
    if request is None:
        return None
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies > 0 and forwarded:
        addresses = [a.strip() for a in forwarded.split(",") if a.strip()]
        if addresses:
            return addresses[-min(proxies, len(addresses))]
    return request.META.get("REMOTE_ADDR") or None


def lockout_minutes() -> int:
    return max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))


def lockout_message() -> str:
    minutes = lockout_minutes()
    return ngettext(
        "Too many failed login attempts. Logging in with this username is blocked for %(minutes)d "
        "minute; try again later or ask your coordinator.",
        "Too many failed login attempts. Logging in with this username is blocked for %(minutes)d "
        "minutes; try again later or ask your coordinator.",
        minutes,
    ) % {"minutes": minutes}


def is_api_request(request) -> bool:
    return request.path.startswith("/api/")


def lockout_response(request, original_response=None, credentials=None):
    """``AXES_LOCKOUT_CALLABLE``: 429 with a clear message; nothing is logged in or issued."""
    retry_after = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    if is_api_request(request):
        response = JsonResponse(
            {"code": LOCKED_OUT_CODE, "detail": lockout_message()},
            status=429,
            json_dumps_params={"ensure_ascii": False},
        )
    else:
        form = AuthenticationForm(request, initial={"username": (credentials or {}).get("username", "")})
        response = render(
            request,
            "registration/login.html",
            {"form": form, "locked_out_message": lockout_message(), "next": request.GET.get("next", "")},
            status=429,
        )
    response["Retry-After"] = retry_after
    return response


def purge_login_records(*, now=None) -> int:
    """Delete django-axes' records of logins (AccessLog), failed logins (AccessFailureLog) and
    lockout counters (AccessAttempt) older than ``AXES_RECORD_RETENTION_DAYS``; returns how many
    rows went. They hold staff usernames, addresses and browsers, kept only as long as needed to
    look into a break-in. A lockout lasts minutes, so no live lockout is ever lifted by this.
    """
    cutoff = (now or timezone.now()) - timedelta(days=settings.AXES_RECORD_RETENTION_DAYS)
    deleted = 0
    for model in (AccessLog, AccessFailureLog, AccessAttempt):
        count, _ = model.objects.filter(attempt_time__lt=cutoff).delete()
        deleted += count
    return deleted
