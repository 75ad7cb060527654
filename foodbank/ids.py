"""Integers that reach the database: ids and other integer parameters fit PostgreSQL's bigint.

One helper for every id the API or a page takes (issue #21, item 5): a value beyond the range is a
400 ``out_of_range`` before it reaches a query, where it used to end in a 500 (psycopg cannot send
it as bigint). ``IntegerRangeMiddleware`` checks every integer path parameter and every integer-
looking query parameter of every request; serializers use ``IdField`` for ids in bodies.
"""

import re

from rest_framework import serializers

MAX_ID = 2**63 - 1  # PostgreSQL bigint
MIN_INT = -(2**63)

_INTEGER = re.compile(r"[+-]?[0-9]+")


def out_of_range(value) -> bool:
    """Whether ``value`` (an int, or text that is an integer) lies outside bigint's range."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return not MIN_INT <= value <= MAX_ID
    text = value.strip() if isinstance(value, str) else ""
    if not _INTEGER.fullmatch(text):
        return False
    # Longer than bigint's 19 digits (plus sign) is out of range without converting it.
    digits = text.lstrip("+-").lstrip("0")
    return len(digits) > 19 or not MIN_INT <= int(text) <= MAX_ID


def out_of_range_parameters(*, path_kwargs: dict, query) -> list[str]:
    """Names of path and query parameters whose integer value lies outside bigint's range."""
    names = [name for name, value in path_kwargs.items() if isinstance(value, int) and out_of_range(value)]
    for name, values in query.lists():
        if any(out_of_range(value) for value in values):
            names.append(name)
    return names


class IdField(serializers.IntegerField):
    """A row id in a request body: 1 … 2**63 - 1 (documented as such in the schema)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)


def is_id_text(text: str) -> bool:
    """Whether ``text`` (a query parameter) is an id: ASCII digits within bigint. ``str.isdigit``
    also accepts digits such as ``²`` that ``int()`` refuses, which ended pages in a 500."""
    return bool(text) and text.isascii() and text.isdigit() and not out_of_range(text)
