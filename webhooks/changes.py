"""The changes feed: delivery request events in an order that a late commit cannot break.

Event ids are handed out when a row is inserted, not when its transaction commits: a transaction
that inserted id 10 may commit after one that inserted id 11. A reader that remembered "11" would
never see 10. Here each event carries the id of the transaction that wrote it (``xid``, set by a
trigger, see referrals/migrations/0006), and a read returns only events of transactions older than
the oldest one still running in this database (``horizon``), in (xid, id) order. Whatever is below that
horizon is final, so a cursor ``(xid, id)`` never jumps over a row that appears later. The price is
delay, not loss: a long transaction holds the feed back until it ends.

On SQLite writers take turns (one write transaction at a time), so ids are in commit order there;
``xid`` is null and read as 0.
"""

import re
from dataclasses import dataclass

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from foodbank.exceptions import DomainError
from referrals.models import DeliveryRequest, DeliveryRequestEvent, ReferralEvent

from .payloads import REFERRAL_KINDS, Change, change_of, referral_change_of

_CURSOR = re.compile(r"^(\d{1,19})-(\d{1,19})$")
START = "0-0"


class InvalidCursor(DomainError):
    status_code = 400
    code = "invalid_cursor"
    default_message = _("The cursor is not one this feed gave out.")


@dataclass(frozen=True, order=True)
class Cursor:
    xid: int
    event_id: int

    @classmethod
    def parse(cls, text: str | None) -> "Cursor":
        match = _CURSOR.match(text or START)
        if match is None:
            raise InvalidCursor()
        return cls(int(match[1]), int(match[2]))

    def __str__(self) -> str:
        return f"{self.xid}-{self.event_id}"


@dataclass(frozen=True)
class ChangePage:
    changes: list[Change]
    cursor: Cursor
    has_more: bool


# The oldest transaction id still running in this database, other than the caller's own, as a
# 64-bit id (pg_stat_activity shows 32-bit ids: the epoch is taken from the snapshot's xmax, and a
# running id is always below xmax). Nothing running: xmax, the next id to be handed out.
# Transactions in other databases of the cluster cannot write our events, so they do not hold the
# feed back (pg_current_snapshot()'s xmin would count them).
_HORIZON_SQL = """
WITH s AS (SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint AS xmax),
running AS (
    SELECT ((s.xmax >> 32) << 32) + a.backend_xid::text::bigint AS full_xid, s.xmax
    FROM s JOIN pg_stat_activity a
      ON a.datname = current_database() AND a.backend_xid IS NOT NULL AND a.pid <> pg_backend_pid()
)
SELECT LEAST(
    (SELECT xmax FROM s),
    (SELECT min(CASE WHEN full_xid >= xmax THEN full_xid - 4294967296 ELSE full_xid END) FROM running)
)
"""


def horizon() -> int | None:
    """Every event with a lower xid is final: its transaction has ended (PostgreSQL only)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(_HORIZON_SQL)
        return cursor.fetchone()[0]


def _after(since: Cursor) -> Q:
    """Events past the cursor, in a form the (xid, id) index serves (PostgreSQL sets every xid)."""
    if connection.vendor != "postgresql":
        return Q(pk__gt=since.event_id)
    return Q(xid__gt=since.xid) | Q(xid=since.xid, pk__gt=since.event_id)


def _order() -> tuple[str, ...]:
    return ("xid", "pk") if connection.vendor == "postgresql" else ("pk",)


def changes_since(*, requests: QuerySet[DeliveryRequest], since: Cursor, limit: int = 100) -> ChangePage:
    """Events of ``requests`` after ``since`` that no running transaction can still add to, oldest
    first, at most ``limit``. Two queries (the horizon, the events with their requests)."""
    below = horizon()
    events = DeliveryRequestEvent.objects.filter(_after(since), request__in=requests.values("pk"))
    if below is not None:
        events = events.filter(xid__lt=below)
    rows = list(events.select_related("request").order_by(*_order())[: limit + 1])
    page = rows[:limit]
    cursor = Cursor(page[-1].xid or 0, page[-1].pk) if page else since
    return ChangePage(
        changes=[change_of(e, e.request) for e in page], cursor=cursor, has_more=len(rows) > limit
    )


def _told_referral_events():
    """Referral steps an agency hears of: of referrals made from its own requests."""
    return ReferralEvent.objects.filter(
        kind__in=REFERRAL_KINDS, referral__delivery_request__agency__isnull=False
    )


def referral_changes_since(*, since: Cursor, limit: int = 100) -> ChangePage:
    """``changes_since`` for referral steps (webhooks only; the feed lists request events)."""
    below = horizon()
    events = _told_referral_events().filter(_after(since))
    if below is not None:
        events = events.filter(xid__lt=below)
    rows = list(events.select_related("referral__delivery_request").order_by(*_order())[: limit + 1])
    page = rows[:limit]
    cursor = Cursor(page[-1].xid or 0, page[-1].pk) if page else since
    return ChangePage(
        changes=[referral_change_of(e, e.referral, e.referral.delivery_request) for e in page],
        cursor=cursor,
        has_more=len(rows) > limit,
    )


def any_referral_after(*, since: Cursor) -> bool:
    return _told_referral_events().filter(_after(since)).exists()


def any_after(*, since: Cursor) -> bool:
    """Whether committed events lie past ``since``: held back by a running transaction, or past
    a page. A caller that must see them soon (the webhook fan-out) looks again shortly.

    Deliberately not "past the horizon": the horizon may have moved on since the caller's read,
    and an event it held back then would be below it now, yet still unread.
    """
    return DeliveryRequestEvent.objects.filter(_after(since)).exists()
