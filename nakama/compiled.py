"""Hot ORM queries compiled by Django once per connection (issue 12 point 2): per call only the values change.

On the inquiry path compiling a query (Django's SQL compiler: joins, select list, where tree) cost more CPU than
running it. The query stays the ORM's own: built once with sentinel values, compiled by Django, the sentinels'
places in the parameters recorded; each call fills them in, executes, and turns rows into values or model instances
with the compiler's own converters and populators (as QuerySet iteration does). A sentinel found anywhere but as a
parameter of its own (transformed, inlined) raises instead of guessing. The compiled state is kept on the
connection object, which belongs to one thread (gthread workers run several).
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db import connections, router
from django.db.models import QuerySet
from django.db.models.query import get_related_populators


@dataclass(frozen=True)
class _Slot:
    name: str


@dataclass
class _State:
    compiler: object
    sql: str
    template: list


class CompiledQuery:
    """build(**sentinels) returns the queryset; kinds name each value and its type (int or str). Reads go where the
    router sends the model's reads (the primary unless inside nakama.routers.replica_reads())."""

    def __init__(self, build: Callable[..., QuerySet], **kinds: type):
        self._build, self._model = build, None
        self._sentinels = {
            name: (-7_100_001 - i if kind is int else f"\ue000{name}\ue000") for i, (name, kind) in enumerate(kinds.items())
        }

    def _using(self, using: str | None) -> str:
        if using:
            return using
        if self._model is None:
            self._model = self._build(**self._sentinels).model
        return router.db_for_read(self._model)

    def _state(self, using: str) -> _State:
        cache = connections[using].__dict__.setdefault("_nakama_compiled", {})
        state = cache.get(self)
        if state is None:
            compiler = self._build(**self._sentinels).query.get_compiler(using=using)
            sql, params = compiler.as_sql()
            names = {value: name for name, value in self._sentinels.items()}
            if any(str(value) in sql for value in names):
                raise RuntimeError(f"a value was inlined in the compiled query: {sql}")
            template = []
            for param in params:
                if isinstance(param, int | str) and not isinstance(param, bool) and param in names:
                    template.append(_Slot(names[param]))
                elif isinstance(param, str) and "\ue000" in param:
                    raise RuntimeError(f"a value was transformed in the compiled query: {sql} {params}")
                else:
                    template.append(param)
            if {t.name for t in template if isinstance(t, _Slot)} != set(self._sentinels):
                raise RuntimeError(f"a value has no parameter of its own in the compiled query: {sql} {params}")
            state = cache[self] = _State(compiler, sql, template)
        return state

    def sql(self, using: str | None = None, **values) -> tuple[str, list]:
        state = self._state(self._using(using))
        return state.sql, [values[t.name] if isinstance(t, _Slot) else t for t in state.template]

    def _rows(self, using: str, values: dict):
        state = self._state(using)
        with connections[using].cursor() as cursor:
            cursor.execute(state.sql, [values[t.name] if isinstance(t, _Slot) else t for t in state.template])
            rows = cursor.fetchall()
        return state, list(state.compiler.results_iter([rows]))

    def values(self, using: str | None = None, **values) -> list[tuple]:
        """Rows as tuples of converted values (for a values_list() queryset)."""
        return [tuple(row) for row in self._rows(self._using(using), values)[1]]

    def objects(self, using: str | None = None, **values) -> list:
        """Model instances with their select_related objects, as iterating the queryset would give."""
        using = self._using(using)
        state, rows = self._rows(using, values)
        compiler = state.compiler
        klass_info, select = compiler.klass_info, compiler.select
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        init_list = [f[0].target.attname for f in select[start:end]]
        populators = get_related_populators(klass_info, select, using)
        result = []
        for row in rows:
            obj = klass_info["model"].from_db(using, init_list, row[start:end])
            for populator in populators:
                populator.populate(row, obj)
            for attr, position in (compiler.annotation_col_map or {}).items():
                setattr(obj, attr, row[position])
            result.append(obj)
        return result
