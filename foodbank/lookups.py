"""``AnyOf``: ``column IN (ids)`` for thousands of ids as one array parameter on PostgreSQL.

Django's ``pk__in=ids`` writes one placeholder per id: a dispatch batch's statements carry 10,000
of them, which Django builds, psycopg interpolates and PostgreSQL parses one by one. ``AnyOf``
writes ``column = ANY(%s::bigint[])`` with the ids as one array (the same plan: PostgreSQL turns
``IN (…)`` into ``= ANY(…)``), and ``IN (…)`` elsewhere (SQLite)::

    DeliveryRequest.objects.filter(AnyOf("pk", ids))
"""

from collections.abc import Iterable
from typing import Any

from django.db.models import F, Lookup


class AnyOf(Lookup):
    lookup_name = "any_of"
    prepare_rhs = False

    def __init__(self, lhs: Any, rhs: Iterable[Any]) -> None:
        super().__init__(F(lhs) if isinstance(lhs, str) else lhs, [int(v) for v in rhs])

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        if not self.rhs:
            return "1 = 0", ()
        if connection.vendor == "postgresql":
            db_type = self.lhs.output_field.db_type(connection)
            return f"{lhs} = ANY(%s::{db_type}[])", (*lhs_params, self.rhs)
        return f"{lhs} IN ({', '.join('%s' for _ in self.rhs)})", (*lhs_params, *self.rhs)
