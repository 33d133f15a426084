"""Hot ORM queries compiled by Django once per connection (issue 12 point 2): per call only the values change.

On the inquiry path compiling a query (Django's SQL compiler: joins, select list, where tree) cost more CPU than
running it. The query stays the ORM's own: built once with sentinel values, compiled by Django, the sentinels'
places in the parameters recorded; each call fills them in, executes, and turns rows into model instances with the
compiler's own converters and populators (as QuerySet iteration does). A sentinel found anywhere but as a
parameter of its own (transformed, inlined) raises instead of guessing. The compiled state is kept on the
connection object, which belongs to one thread (gthread workers run several).

With a name (PostgreSQL), the query is also a prepared statement of the session (PREPARE sent with the first call
on a database connection, then EXECUTE only): PostgreSQL stops planning it again (planning the flag check's UNION
cost more than running it). A prepared statement outlives a rolled-back transaction and is re-planned by PostgreSQL
when a table it reads changes; a new database connection (CONN_MAX_AGE, a dropped connection) prepares it again.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connections, router, transaction
from django.db.models import QuerySet, signals
from django.db.models.query import get_related_populators
from django.db.models.sql import InsertQuery


@dataclass(frozen=True)
class _Slot:
    name: str


@dataclass
class _State:
    compiler: object
    sql: str
    template: list
    prepare_body: str = ""  # the query with $1… for the values (in the order of `order`), for PREPARE
    order: tuple = ()
    prepared_on: object = None  # the DB-API connection the statement was prepared on
    generation: int = 1  # part of the statement's name: a new name after a call that may have left it half-known
    converters: list | None = None
    builder: tuple | None = None  # model, its columns, related populators, annotations (objects())


_PLACEHOLDER = re.compile(r"%s|%%")


class CompiledQuery:
    """build(**sentinels) returns the queryset; kinds name each value and its type (int or str). Reads go where the
    router sends the model's reads (the primary unless inside nakama.routers.replica_reads())."""

    def __init__(self, build: Callable[..., QuerySet], *, prepare_as: str = "", **kinds: type):
        self._build, self._model, self._name = build, None, prepare_as
        self._sentinels = {
            name: (-7_100_001 - i if kind is int else f"\ue000{name}\ue000")
            for i, (name, kind) in enumerate(kinds.items())
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
            state = _State(compiler, sql, template)
            if self._name and connections[using].vendor == "postgresql":
                self._prepare_text(state, using)
            cache[self] = state
        return state

    def _prepare_text(self, state: _State, using: str) -> None:
        """PREPARE text: each value's place becomes $n, the query's constants are inlined as psycopg2 would (with % as
        %%, since the text is sent together with the EXECUTE's parameters)."""
        order = list(dict.fromkeys(t.name for t in state.template if isinstance(t, _Slot)))
        params = iter(state.template)
        with connections[using].cursor() as cursor:

            def placeholder(match):
                if match.group() == "%%":
                    return "%%"
                param = next(params)
                if isinstance(param, _Slot):
                    return f"${order.index(param.name) + 1}"
                return cursor.mogrify("%s", [param]).decode().replace("%", "%%")

            state.prepare_body = _PLACEHOLDER.sub(placeholder, state.sql)
        state.order = tuple(order)

    def execute(self, cursor, *, before: tuple[str, list] | None = None, using: str | None = None, **values) -> None:
        """Run the query on cursor (its rows are the cursor's), after the statement `before` in the same round trip.

        Named: the first call on a database connection sends PREPARE with it (one round trip still), then EXECUTE
        only. After a failed call the next one prepares again under a new name. The cursor must be one of `using`.
        """
        using = self._using(using)
        state = self._state(using)
        if state.prepare_body:
            name = f"{self._name}_{state.generation}"
            sql = f"EXECUTE {name}({', '.join(['%s'] * len(state.order))})"
            params = [values[n] for n in state.order]
            raw = connections[using].connection
            preparing = raw is None or state.prepared_on is not raw
            if preparing:
                sql = f"PREPARE {name} AS {state.prepare_body}; {sql}"
        else:
            sql, params = state.sql, [values[t.name] if isinstance(t, _Slot) else t for t in state.template]
            preparing = False
        if before is not None:
            sql, params = f"{before[0]}; {sql}", [*before[1], *params]
        try:
            cursor.execute(sql, params)
        except Exception:
            if state.prepare_body:
                # Unknown now whether the statement exists on this connection (a PREPARE that ran before the error,
                # a session reset that dropped it): the next call prepares again, under a new name.
                state.prepared_on, state.generation = None, state.generation + 1
            raise
        if preparing:
            state.prepared_on = connections[using].connection

    def _rows(self, using: str, values: dict):
        state = self._state(using)
        with connections[using].cursor() as cursor:
            self.execute(cursor, using=using, **values)
            rows = cursor.fetchall()
        compiler = state.compiler
        if state.converters is None:  # what results_iter() works out on every call, once
            fields = [s[0] for s in compiler.select[0 : compiler.col_count]]
            if compiler.has_composite_fields(fields):
                raise RuntimeError("composite fields are not supported by CompiledQuery")
            state.converters = compiler.get_converters(fields)
        return state, list(compiler.apply_converters(rows, state.converters)) if state.converters else rows

    def objects(self, using: str | None = None, **values) -> list:
        """Model instances with their select_related objects, as iterating the queryset would give."""
        using = self._using(using)
        state, rows = self._rows(using, values)
        compiler = state.compiler
        if state.builder is None:
            klass_info, select = compiler.klass_info, compiler.select
            start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
            state.builder = (klass_info["model"], start, end, [f[0].target.attname for f in select[start:end]],
                             get_related_populators(klass_info, select, using),
                             list((compiler.annotation_col_map or {}).items()))
        model, start, end, init_list, populators, annotations = state.builder
        result = []
        for row in rows:
            obj = model.from_db(using, init_list, row[start:end])
            for populator in populators:
                populator.populate(row, obj)
            for attr, position in annotations:
                setattr(obj, attr, row[position])
            result.append(obj)
        return result


class CompiledInsert:
    """The INSERT of one new row of a model whose primary key is set before saving (nothing to return), compiled by
    Django once per connection: per call only the values are prepared, by the compiler's own pre_save_val and
    prepare_value, as Model.save(force_insert=True) does; the same related-object check, signals and instance state.
    Compiling the INSERT (every column's placeholder and quoting) cost more CPU than preparing its values."""

    def __init__(self, model):
        self.model = model

    def _state(self, obj, using: str):
        cache = connections[using].__dict__.setdefault("_nakama_compiled", {})
        state = cache.get(self)
        if state is None:
            fields = self.model._meta.local_concrete_fields
            query = InsertQuery(self.model)
            query.insert_values(fields, [obj])
            compiler = query.get_compiler(using=using)
            [(sql, params)] = compiler.as_sql()
            values = f"VALUES ({', '.join(['%s'] * len(fields))})"
            if not sql.endswith(values) or len(params) != len(fields):
                raise RuntimeError(f"not one plain placeholder a column: {sql}")
            state = cache[self] = (compiler, fields, sql)
        return state

    def insert(self, obj, *, using: str | None = None) -> None:
        if obj.pk is None:
            raise ValueError("CompiledInsert writes rows whose primary key is set before saving")
        model = self.model
        using = using or router.db_for_write(model, instance=obj)
        obj._prepare_related_fields_for_save(operation_name="save")
        signals.pre_save.send(sender=model, instance=obj, raw=False, using=using, update_fields=None)
        compiler, fields, sql = self._state(obj, using)
        params = []
        for field in fields:
            value = compiler.pre_save_val(field, obj)
            if hasattr(value, "resolve_expression"):
                raise ValueError(f"an expression cannot take a plain placeholder: {field.name}")
            params.append(compiler.prepare_value(field, value))
        with transaction.mark_for_rollback_on_error(using), connections[using].cursor() as cursor:
            cursor.execute(sql, params)
        obj._state.adding, obj._state.db = False, using
        signals.post_save.send(sender=model, instance=obj, created=True, update_fields=None, raw=False, using=using)
