"""How late a handout may be logged (docs/window-offline.md).

Staff log a handout after the person has left, or their phone sends it when the connection comes
back. ``occurred_at`` may lie up to ``HANDOUT_LATE_ENTRY_DAYS`` calendar days back (Asia/Tokyo):
with 7, on 8 December anything from 1 December 00:00 is accepted. The limit is checked where a
person enters the time (the API and the window page); the services accept any past time, so that
imports and tests can write history.
"""

from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import formats, timezone
from django.utils.translation import gettext as _

TOO_LATE = "too_late"
FUTURE = "future"
# A phone's clock may run a little ahead of the server's.
CLOCK_SKEW = timedelta(minutes=5)


def earliest_allowed(now: datetime | None = None) -> datetime:
    """The start of the oldest day on which a handout may still be logged."""
    today = timezone.localdate(now or timezone.now())
    first_day = today - timedelta(days=settings.HANDOUT_LATE_ENTRY_DAYS)
    return timezone.make_aware(datetime.combine(first_day, time.min))


def check_occurred_at(occurred_at: datetime | None, *, now: datetime | None = None) -> datetime | None:
    """``occurred_at`` if it is allowed; ValidationError with code ``too_late`` or ``future``."""
    if occurred_at is None:
        return None
    now = now or timezone.now()
    if occurred_at > now + CLOCK_SKEW:
        raise ValidationError(_("Cannot be in the future."), code=FUTURE)
    earliest = earliest_allowed(now)
    if occurred_at < earliest:
        raise ValidationError(
            _("A handout can be logged up to %(days)s days late (from %(date)s).")
            % {
                "days": settings.HANDOUT_LATE_ENTRY_DAYS,
                "date": formats.date_format(timezone.localtime(earliest), "SHORT_DATE_FORMAT"),
            },
            code=TOO_LATE,
        )
    return occurred_at
