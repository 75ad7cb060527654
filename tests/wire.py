"""What a test's database connection sends to PostgreSQL, read off the wire (libpq's trace), and
the binding it sends it with: round trips, which Django's query log cannot count (it logs one
execute of several statements once, a pipeline's statements one by one, and a COMMIT that psycopg
then skips)."""

import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection
from django.db.backends.postgresql.base import Cursor as ClientBindingCursor
from django.db.backends.postgresql.base import ServerBindingCursor
from psycopg import pq


@contextmanager
def bound_on(side: str) -> Iterator[None]:
    """The connection binds parameters on ``side``: "server" (the default,
    ``DB_PREPARED_STATEMENTS``) without preparing statements, so that each shows its text on the
    wire; "prepared", the same preparing every statement on its first run (a statement prepared
    earlier on this connection is then sent without its text); "client"
    (``DB_PREPARED_STATEMENTS=0``)."""
    connection.ensure_connection()
    raw = connection.connection
    saved = raw.cursor_factory, raw.prepare_threshold
    raw.cursor_factory = ClientBindingCursor if side == "client" else ServerBindingCursor
    raw.prepare_threshold = 0 if side == "prepared" else None
    try:
        yield
    finally:
        raw.cursor_factory, raw.prepare_threshold = saved


@contextmanager
def sent_to_server() -> Iterator[list[str]]:
    """The round trips this connection makes to PostgreSQL: the statements each one sends, joined
    by "; " ("" for a round trip that sends none, such as a lone Sync)."""
    connection.ensure_connection()
    pgconn = connection.connection.pgconn
    sent: list[str] = []
    with tempfile.TemporaryFile(mode="w+") as trace:
        pgconn.trace(trace.fileno())
        pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)
        try:
            yield sent
        finally:
            pgconn.untrace()
            trace.seek(0)
            sent.extend(round_trips(trace.read()))


def round_trips(trace: str) -> list[str]:
    """The round trips of a libpq trace: each starts with the first message sent after an answer."""
    trips: list[list[str]] = []
    answered = True
    # A message ends where the next one starts (a statement may hold newlines).
    for side, kind, text in re.findall(r"^([FB])\t\d+\t(\w+)\t?(.*?)\n(?=[FB]\t|\Z)", trace, re.M | re.S):
        if side == "B":
            answered = True
            continue
        if answered:
            trips.append([])
            answered = False
        if kind == "Query":  # the simple protocol: ' "SQL"'
            trips[-1].append(text.strip()[1:-1])
        elif kind == "Parse":  # the extended protocol: ' "name" "SQL" n …'
            parsed = re.match(r'\s*"[^"]*" "(.*)" \d+', text, re.S)
            assert parsed, text
            trips[-1].append(parsed.group(1))
    return ["; ".join(statements) for statements in trips]
