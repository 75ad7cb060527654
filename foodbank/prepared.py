"""``PreparedQuery``: an ORM query of a hot path compiled once per process instead of per request.

Compiling a queryset with ``select_related`` into SQL costs the ORM more CPU than PostgreSQL spends
running it (a delivery request's history: about 1 ms a query on the development machine,
docs/benchmarks.md). A query whose shape never changes, only the value it filters on, is compiled
once with a stand-in value; each call runs the same SQL with its own value and builds the instances
(with their ``select_related`` objects and every field's converter, e.g. decryption) as the ORM's
own iterator does.

    _EVENTS = PreparedQuery(
        lambda request_id: Event.objects.filter(request_id=request_id).select_related("by")
    )
    events = _EVENTS(request.pk)  # a list, like list(queryset)

``run_together`` sends several of them, each with its value, to PostgreSQL in one round trip.
``one_line`` puts a long hand-written statement on one line, so that psycopg caches its parsing.

Only for querysets of model instances without annotations, whose one parameter appears exactly
once among the compiled parameters; anything else falls back to evaluating the queryset each time.
"""

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any, TypeGuard

from django.db import connections, router
from django.db.models import Model, QuerySet
from django.db.models.query import ModelIterable, get_related_populators

# Never a real id (ids are positive), so it is found again among the compiled parameters.
_STAND_IN = -7_310_000_000_017


class PreparedQuery:
    def __init__(self, build: Callable[[Any], QuerySet]) -> None:
        self._build = build
        self._model: type[Model] | None = None
        self._compiled: dict[str, tuple | None] = {}  # per database alias; None: fall back
        # Per thread and database, for the thread's connection: the compiler, its converters, the
        # columns of the model and the populators of its related objects (``_decode``). Kept by the
        # thread, not in a dictionary keyed by connection: the converters hold their connection, so
        # such a dictionary kept every connection of every thread that ever ran the query (the
        # development server starts a thread per request).
        self._decoders = threading.local()

    def __call__(self, value: int) -> list:
        alias = self.alias()
        compiled = self._compiled_for(alias)
        if compiled is None:
            return list(self._build(value))
        sql, params = self._statement(compiled, value)
        with connections[alias].cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        return self._decode(alias, compiled, rows)

    def alias(self) -> str:
        """The database this query reads from."""
        model = self._model
        if model is None:
            model = self._model = self._build(_STAND_IN).model
        return router.db_for_read(model)

    def _compiled_for(self, alias: str) -> tuple | None:
        if alias not in self._compiled:
            self._compiled[alias] = self._compile(alias)
        return self._compiled[alias]

    @staticmethod
    def _statement(compiled: tuple, value: int) -> tuple[str, list]:
        _query, sql, params, position, _select, _klass_info = compiled
        params = list(params)
        params[position] = value
        return sql, params

    def _decode(self, alias: str, compiled: tuple, rows: list) -> list:
        """The instances of ``rows``, as django.db.models.query.ModelIterable builds them."""
        if not rows:
            return []
        query, _sql, _params, _position, select, klass_info = compiled
        connection = connections[alias]
        # The converters (e.g. decryption) depend on this thread's connection only, and the
        # populators of the related objects (which keep no state between rows) on its alias: worked
        # out once per connection, not per call (the converters were 14 % of a GET's CPU,
        # docs/benchmarks.md).
        decoders: dict[str, tuple] | None = getattr(self._decoders, "by_alias", None)
        if decoders is None:
            decoders = self._decoders.by_alias = {}
        cached = decoders.get(alias)
        if cached is None or cached[0] is not connection:
            compiler = query.get_compiler(using=alias)
            compiler.select, compiler.klass_info, compiler.annotation_col_map = select, klass_info, {}
            converters = compiler.get_converters([column for column, _sql, _alias in select])
            fields = klass_info["select_fields"]
            columns = slice(fields[0], fields[-1] + 1)
            names = [column.target.attname for column, _sql, _alias in select[columns]]
            populators = get_related_populators(klass_info, select, alias)  # type: ignore[call-arg]  # Django 5.2's
            cached = decoders[alias] = (connection, compiler, converters, columns, names, populators)
        _connection, compiler, converters, columns, names, populators = cached
        if converters:
            rows = list(compiler.apply_converters(rows, converters))
        model = klass_info["model"]
        instances = []
        for row in rows:
            instance = model.from_db(alias, names, row[columns])
            for populator in populators:
                populator.populate(row, instance)
            instances.append(instance)
        return instances

    def _compile(self, alias: str) -> tuple | None:
        queryset = self._build(_STAND_IN)
        if queryset.query.annotations or queryset._iterable_class is not ModelIterable:
            return None
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        positions = [i for i, param in enumerate(params) if param == _STAND_IN]
        if (
            len(positions) != 1
            or compiler.annotation_col_map
            or getattr(queryset, "_known_related_objects", None)
        ):
            return None
        return queryset.query, sql, tuple(params), positions[0], compiler.select, compiler.klass_info


def run_together(*queries: tuple[PreparedQuery, int]) -> list[Callable[[], list]]:
    """Run several prepared queries, each with its value, in one round trip to PostgreSQL
    (``fetch_together``: one ``execute`` of their statements with client-side binding, one psycopg
    pipeline with server-side binding, the default, each statement then prepared on its own).

    Answers one function per query, in the order of ``queries``, that builds its instances when
    called: rows a caller turns out not to show (a request the user may not see) are never
    converted (e.g. decrypted). Falls back to one round trip each, run when its function is called,
    when the queries read different databases, one of them could not be compiled, or on SQLite."""
    aliases = {query.alias() for query, _value in queries}
    alias = aliases.pop()
    compiled = [query._compiled_for(alias) for query, _value in queries]
    connection = connections[alias]
    if aliases or not _all_compiled(compiled) or connection.vendor != "postgresql":
        return [partial(query, value) for query, value in queries]
    statements = [
        PreparedQuery._statement(one, value) for one, (_query, value) in zip(compiled, queries, strict=True)
    ]
    results = fetch_together(connection, statements)
    return [
        partial(query._decode, alias, one, rows)
        for (query, _value), one, rows in zip(queries, compiled, results, strict=True)
    ]


def fetch_together(connection: Any, statements: list[tuple[str, Any]]) -> list[list]:
    """The rows of each of ``statements`` (each ``(sql, params)``, every one answering rows), sent
    to PostgreSQL in one round trip: one ``execute`` of them all with client-side binding (their
    parameters are lists, run one after the other, or one shared mapping), one pipeline with
    server-side binding. With client-side binding mappings become one: a name in several must have
    the same value in each. ``ValueError`` otherwise, and ``TypeError`` for mappings mixed with
    lists, whichever the binding, so that a caller's mistake shows in every configuration."""
    mappings = [params for _sql, params in statements if isinstance(params, dict)]
    if mappings and len(mappings) != len(statements):
        raise TypeError("fetch_together: every statement's parameters are a mapping, or none is")
    shared = _shared_mapping(mappings)
    if binds_client_side(connection):
        joined: Any = shared if mappings else [value for _sql, params in statements for value in params]
        results = []
        with connection.cursor() as cursor:
            cursor.execute(";\n".join(sql for sql, _params in statements), joined)
            results.append(cursor.fetchall())
            while len(results) < len(statements):
                if not cursor.nextset():  # pragma: no cover
                    raise RuntimeError("PostgreSQL answered fewer results than statements")
                results.append(cursor.fetchall())
        return results
    cursors = [connection.cursor() for _ in statements]
    try:
        with pipeline(connection):
            for cursor, (sql, params) in zip(cursors, statements, strict=True):
                cursor.execute(sql, params)
        return [cursor.fetchall() for cursor in cursors]
    finally:
        for cursor in cursors:
            cursor.close()


def _shared_mapping(mappings: list[dict]) -> dict:
    shared: dict = {}
    for mapping in mappings:
        for name, value in mapping.items():
            # 1, 1.0 and True are equal but bind differently: the same value is the same type too.
            if name in shared and (type(shared[name]) is not type(value) or shared[name] != value):
                raise ValueError(f"fetch_together: parameter {name!r} has two values")
            shared[name] = value
    return shared


@contextmanager
def pipeline(connection: Any) -> Iterator[None]:
    """psycopg's pipeline mode on ``connection`` (PostgreSQL, server-side binding): each ``execute``
    inside is written to the server at once without waiting for its result, and leaving the block
    sends one Sync and stores each result in its cursor: one round trip in all. Ask for no result
    inside the block (that would be a round trip of its own). Errors raise as Django's database
    exceptions, as a plain ``execute``'s do, possibly from the ``execute`` after the failing one
    (the server answers an error at once); the statements queued behind it do not run."""
    connection.ensure_connection()
    with connection.wrap_database_errors, connection.connection.pipeline():
        yield


def _all_compiled(compiled: list[tuple | None]) -> TypeGuard[list[tuple]]:
    return all(one is not None for one in compiled)


def binds_client_side(connection: Any) -> bool:
    """Whether one ``execute`` on ``connection`` may hold several statements: PostgreSQL with
    client-side binding (Django's default with psycopg 3; here only with
    ``DB_PREPARED_STATEMENTS=0``)."""
    if connection.vendor != "postgresql":
        return False
    import psycopg

    connection.ensure_connection()
    return issubclass(connection.connection.cursor_factory, psycopg.ClientCursor)


# psycopg caches how it parses a statement's placeholders only for statements of at most 4 KiB
# (``psycopg._queries.MAX_CACHED_STATEMENT_LENGTH``, meant to skip ORM INSERTs of varying size); a
# longer one is parsed again at every execute. For a handout with a key that parsing was an eighth
# of the request's CPU (docs/benchmarks.md).
_LINE_BREAK = re.compile(r"\s*\n\s*")
_DOLLAR_QUOTE = re.compile(r"\$\w*\$")  # $$…$$ and $tag$…$tag$


def one_line(sql: str) -> str:
    """A statement built once per process, on one line: its indentation and line breaks each become
    one space, so that psycopg caches its parsing (see above). SQL comments (``--``) would swallow
    the rest of the statement, and a string literal (``'…'``, ``$$…$$``, ``$tag$…$tag$``) would
    have its own line breaks rewritten: both are refused. Write comments in Python and pass values
    as parameters."""
    if "--" in sql:
        raise ValueError("A statement squeezed onto one line cannot hold an SQL comment (--).")
    if "'" in sql or _DOLLAR_QUOTE.search(sql):
        raise ValueError("A statement squeezed onto one line cannot hold a string literal: pass a parameter.")
    return _LINE_BREAK.sub(" ", sql).strip()
