"""What the output shapes share: dates, times and user names as the API writes them."""

from rest_framework import serializers

#
# The declared fields document the answers in the OpenAPI schema; ``to_representation`` builds the
# dict directly, because building DRF fields for every object costs more than the rest of the
# request (docs/spec.md §7: p99 under 50 ms). tests/referrals/test_api_read.py checks that both agree.

_DATETIME = serializers.DateTimeField()


def _dt(value) -> str | None:
    return _DATETIME.to_representation(value) if value else None


def _date(value) -> str | None:
    return value.isoformat() if value else None


def _user_name(user) -> str | None:
    if user is None:
        return None
    return user.get_full_name() or user.get_username()
