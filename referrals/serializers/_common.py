"""What the output shapes share: dates, times and user names as the API writes them."""

from datetime import datetime, tzinfo

from django.conf import settings
from django.utils import timezone
from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings

#
# The declared fields document the answers in the OpenAPI schema; ``to_representation`` builds the
# dict directly, because building DRF fields for every object costs more than the rest of the
# request (docs/spec.md §7: p99 under 50 ms). tests/referrals/test_api_read.py checks that both agree.

_DATETIME = serializers.DateTimeField()


def _dt(value, tz: tzinfo | None = None) -> str | None:
    """``value`` as DRF's DateTimeField writes it: ISO 8601 in the current time zone, ``Z`` for UTC.

    An aware datetime under the project's settings (USE_TZ, DRF's ISO 8601 format) is written here
    without the field's per-value look-ups (the current time zone alone costs about 10 µs: a
    delivery request's answer writes about ten times, docs/benchmarks.md); ``tz`` is the current
    time zone when the caller has it in hand. Anything else is the field's own.
    tests/referrals/test_plain_output.py compares both."""
    if not value:
        return None
    if (
        type(value) is not datetime
        or value.utcoffset() is None
        or not settings.USE_TZ
        or api_settings.DATETIME_FORMAT != ISO_8601
    ):
        return _DATETIME.to_representation(value)
    try:
        shown = value.astimezone(tz or timezone.get_current_timezone()).isoformat()
    except OverflowError:
        return _DATETIME.to_representation(value)  # the field's own refusal
    return shown[:-6] + "Z" if shown.endswith("+00:00") else shown


def _date(value) -> str | None:
    return value.isoformat() if value else None


def _user_name(user) -> str | None:
    if user is None:
        return None
    return user.get_full_name() or user.get_username()
