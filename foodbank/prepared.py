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

Only for querysets of model instances without annotations, whose one parameter appears exactly
once among the compiled parameters; anything else falls back to evaluating the queryset each time.
"""

from collections.abc import Callable
from typing import Any

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

    def __call__(self, value: int) -> list:
        model = self._model
        if model is None:
            model = self._model = self._build(_STAND_IN).model
        alias = router.db_for_read(model)
        if alias not in self._compiled:
            self._compiled[alias] = self._compile(alias)
        compiled = self._compiled[alias]
        if compiled is None:
            return list(self._build(value))
        query, sql, params, position, select, klass_info = compiled
        params = list(params)
        params[position] = value
        connection = connections[alias]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if not rows:
            return []
        compiler = query.get_compiler(using=alias)  # this thread's connection, for the converters
        compiler.select, compiler.klass_info, compiler.annotation_col_map = select, klass_info, {}
        converters = compiler.get_converters([column for column, _sql, _alias in select])
        if converters:
            rows = list(compiler.apply_converters(rows, converters))
        # What django.db.models.query.ModelIterable does with each row.
        fields = klass_info["select_fields"]
        start, end = fields[0], fields[-1] + 1
        names = [column.target.attname for column, _sql, _alias in select[start:end]]
        populators = get_related_populators(klass_info, select, alias)  # type: ignore[call-arg]  # Django 5.2's
        instances = []
        for row in rows:
            instance = klass_info["model"].from_db(alias, names, row[start:end])
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
