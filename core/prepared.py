"""Reads compiled once per database connection (issue 17): the hot, fixed-shape reads of the money paths skip
Django's per-call queryset building and SQL compilation (0.5–1 ms of Python each on the bench machine, more than
the database takes to answer them) and run the remembered SQL with the new values.

``PreparedRead(build, **kinds)``: ``build(**args)`` returns the queryset — of model instances (``select_related``
and ``select_for_update`` included) or of ``values_list`` rows — and ``kinds`` names each argument's kind: ``int``,
``str``, ``Decimal`` (an amount: its probe has two places), ``datetime`` (an aware one, compared with a
DateTimeField) or ``list`` (a list of ints); values are made that kind (``str(value)``, ``int(value)``,
``Decimal(value)``; a naive datetime and a float amount are refused). Calling the read
with real values returns a list (instances or tuples), the same as ``list(build(**args))``; the tests hold the two
equal. One more kind, ``SHAPE``, is for what Django writes into the SQL text itself rather than as a parameter (a
slice's LIMIT and OFFSET): each distinct value (hashable; ``1`` and ``True`` are distinct) is a shape of its own,
compiled once, and ``build`` gets the value as it is; past ``MAX_SHAPES`` values per read and connection, that
read's shapes are forgotten and compiled again as they come. An empty slice compiles to no query: the caller
answers it (Django runs none either), the read refuses it.

How: on each connection, the first call of each shape calls ``build`` with *probe* values, compiles it, and finds
every probe among the compiled parameters; every other parameter is a constant of the shape. Later calls put the
real values in the probes' places. A list is deduplicated and sorted, and each length is a shape of its own; an
empty list runs ``build`` as Django would (nothing to compile: Django answers it without a query).

Refused at the first compile (``PreparedReadError``), so a read that cannot be prepared fails in every test that
runs it, never half-works: a probe that does not come out as one parameter of its own (a lookup that transforms
the value, such as ``contains``), a probe used twice, prefetches, annotations or extra selects, and any iterable
other than models or ``values_list`` rows. ``select_for_update`` outside a transaction is refused at every call,
as Django refuses it.

``PreparedUpdate(build, **kinds)`` does the same for an UPDATE: ``build(**args)`` returns ``(queryset, values)``, what
``queryset.update(**values)`` would be given, and the call answers the count of rows changed (Django's update
compile was 0.25 ms of a stock reservation's 0.32).

Not for reads whose SQL depends on anything but the declared arguments (a filter built from the request, an
ordering chosen by the client): those stay ordinary querysets.
"""
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from itertools import count

from django.core.exceptions import EmptyResultSet
from django.db import connections, router, transaction
from django.db.models.query import ModelIterable, QuerySet, ValuesListIterable, get_related_populators
from django.db.models.sql import UpdateQuery
from django.db.transaction import TransactionManagementError
from django.utils import timezone

# Probe values: distinctive, inside every integer column's range (Django treats out-of-range lookups as empty).
_INT_PROBE_BASE = 1_987_654_000
_STR_PROBE = "\x1eprepared-probe-{}\x1e"

_DATETIME_PROBE = datetime(2097, 3, 4, 5, 6, 7, tzinfo=UTC)

SHAPE = "shape"  # the kind of an argument that selects the compiled shape (module docstring)
MAX_SHAPES = 64  # compiled shapes per read and connection for SHAPE arguments


class PreparedReadError(TypeError):
    """The queryset cannot be prepared (see the module docstring)."""


class _Shape:
    """One compiled form of a read on one connection: the SQL, where each argument goes, how rows become results."""

    def __init__(self, queryset: QuerySet, probes: dict[str, object], alias: str, shaped: frozenset = frozenset()):
        if queryset._prefetch_related_lookups:
            raise PreparedReadError("prefetch_related cannot be prepared")
        if queryset._known_related_objects:
            raise PreparedReadError("a related manager's queryset cannot be prepared")
        query = queryset.query
        if query.annotation_select or query.extra_select:
            raise PreparedReadError("annotations and extra selects cannot be prepared")
        iterable = queryset._iterable_class
        if iterable not in (ModelIterable, ValuesListIterable):
            raise PreparedReadError(f"{iterable.__name__} cannot be prepared (models or values_list rows only)")
        self.models = iterable is ModelIterable
        self.for_update = query.select_for_update
        compiler = query.get_compiler(using=alias)
        try:
            self.sql, params = compiler.as_sql()
        except EmptyResultSet as exc:  # e.g. a probe out of a small integer column's range: nothing to run
            raise PreparedReadError("the read compiles to no query (an empty slice is the caller's to answer, "
                                    "and a probe may be out of a column's range)") from exc
        self._place(params, probes, alias, shaped)
        fields = [column[0] for column in compiler.select[: compiler.col_count]]
        self.converters = list(compiler.get_converters(fields).items())
        if self.models:
            klass_info, select = compiler.klass_info, compiler.select
            self.model = klass_info["model"]
            start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
            self.model_slice = slice(start, end)
            self.init_list = [column[0].target.attname for column in select[start:end]]
            self.related_populators = get_related_populators(klass_info, select, alias)

    def _place(self, params, probes: dict[str, object], alias: str, shaped: frozenset) -> None:
        """Where each argument goes among the compiled ``params`` (``slots``) and which are adapted (``adapt``). A
        datetime is compiled as the backend adapts it (SQLite: text in the connection's time zone): its probe is
        found, and the real value put, in that form. Shape values are in the SQL text, not among the params."""
        connection = connections[alias]
        compiled = {name: probe for name, probe in probes.items() if name not in shaped}
        adapted = {name: connection.ops.adapt_datetimefield_value(probe) for name, probe in compiled.items()
                   if isinstance(probe, datetime)}
        self.slots = self._slots(params, {**compiled, **adapted})
        self.adapt = frozenset(adapted)

    @staticmethod
    def _slots(params, probes: dict[str, object]) -> list[tuple]:
        """Per compiled parameter: ("arg", name, index or None, wrap) for a probe's place, ("const", value)
        otherwise. ``wrap``: the int subclass the backend typed the value with (psycopg 3 binds an integer column's
        value as ``Int4``/``Int2``… so the server knows its type), put on the real value too; else None."""
        where = {}
        for name, probe in probes.items():
            for index, value in enumerate(probe) if isinstance(probe, list) else [(None, probe)]:
                where[(type(value), value)] = (name, index)
        slots, seen = [], set()
        for param in params:
            typed = type(param) is not int and isinstance(param, int) and not isinstance(param, bool)
            found = where.get((int, int(param)) if typed else (type(param), param))
            if found is None:
                if isinstance(param, str) and "prepared-probe-" in param:
                    raise PreparedReadError(f"a probe came out transformed: {param!r}")
                slots.append(("const", param))
                continue
            if found in seen:
                raise PreparedReadError(f"argument {found[0]!r} is used more than once")
            seen.add(found)
            slots.append(("arg", *found, type(param) if typed else None))
        missing = set(where.values()) - seen
        if missing:
            raise PreparedReadError(f"arguments not found among the parameters: {sorted(name for name, _ in missing)}")
        return slots

    def run(self, connection, args: dict) -> list:
        if self.for_update and connection.features.has_select_for_update and connection.get_autocommit():
            raise TransactionManagementError("select_for_update cannot be used outside of a transaction.")
        params = self._params(connection, args)
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall()
        if self.converters:
            rows = [self._convert(list(row), connection) for row in rows]
        if not self.models:
            return [tuple(row) for row in rows]
        results = []
        alias, model, window, init_list = connection.alias, self.model, self.model_slice, self.init_list
        for row in rows:
            instance = model.from_db(alias, init_list, row[window])
            for populator in self.related_populators:
                populator.populate(row, instance)
            results.append(instance)
        return results

    def _params(self, connection, args: dict) -> list:
        if self.adapt:
            args = {name: connection.ops.adapt_datetimefield_value(value) if name in self.adapt else value
                    for name, value in args.items()}
        params = []
        for slot in self.slots:
            if slot[0] == "const":
                params.append(slot[1])
                continue
            _arg, name, index, wrap = slot
            value = args[name] if index is None else args[name][index]
            params.append(value if wrap is None else wrap(value))
        return params

    def _convert(self, row: list, connection) -> list:
        for position, (converters, expression) in self.converters:
            value = row[position]
            for converter in converters:
                value = converter(value, expression, connection)
            row[position] = value
        return row


class PreparedRead:
    """A read compiled once per connection and shape, then run with new values (see the module docstring)."""

    _ids = count()

    def __init__(self, build: Callable[..., QuerySet], **kinds: type):
        for name, kind in kinds.items():
            if kind not in (int, str, Decimal, datetime, list, SHAPE):
                raise PreparedReadError(f"argument {name!r}: kind must be int, str, Decimal, datetime, list or SHAPE, "
                                        f"not {kind!r}")
        self.build = build
        self.kinds = kinds
        self._key = f"prepared-read-{next(self._ids)}"
        self._db: str | None = None
        self._shape_args = frozenset(name for name, kind in kinds.items() if kind is SHAPE)
        self._shaped = bool(self._shape_args)

    def __call__(self, **args) -> list:
        if set(args) != set(self.kinds):
            raise TypeError(f"expected the arguments {sorted(self.kinds)}, got {sorted(args)}")
        shape_of = []  # what selects the compiled shape: each list's length, each SHAPE value
        for name, kind in self.kinds.items():
            if kind is SHAPE:
                try:
                    hash(args[name])
                except TypeError as exc:
                    raise PreparedReadError(f"argument {name!r}: a SHAPE value must be hashable") from exc
                shape_of.append((type(args[name]), args[name]))
                continue
            # As the ORM would prepare them for the columns they are compared with (a str column's value is
            # its text, whatever the caller passed); an int that is not one raises ValueError, as in the ORM.
            if kind is datetime:
                if not isinstance(args[name], datetime) or timezone.is_naive(args[name]):
                    raise TypeError(f"argument {name!r}: an aware datetime is expected, got {args[name]!r}")
            elif kind is list:
                args[name] = sorted({int(value) for value in args[name]})
                if not args[name]:
                    return self._unprepared(args)
                shape_of.append(len(args[name]))
            else:
                if kind is Decimal and isinstance(args[name], float):
                    raise TypeError(f"argument {name!r}: an amount is a Decimal (or int, str), not a float")
                args[name] = kind(args[name])
        alias = self._db or self._alias(args)
        connection = connections[alias]
        shapes = connection.__dict__.setdefault("_prepared_reads", {})
        key = (self._key, *shape_of)
        shape = shapes.get(key)
        if shape is None:
            if self._shaped:
                counts = connection.__dict__.setdefault("_prepared_read_shapes", {})
                if counts.get(self._key, 0) >= MAX_SHAPES:  # start over: the shapes in use come back first
                    for old in [old for old in shapes if old[0] == self._key]:
                        del shapes[old]
                    counts[self._key] = 0
                counts[self._key] = counts.get(self._key, 0) + 1
            probes = self._probes(args)
            shape = shapes[key] = self._shape_class(self.build(**probes), probes, alias, self._shape_args)
        return shape.run(connection, args)

    _shape_class = _Shape

    def _unprepared(self, args: dict):
        return list(self.build(**args))  # e.g. an empty list: Django answers it without a query

    def _alias(self, args: dict) -> str:
        self._db = self.build(**self._probes(args)).db
        return self._db

    def _probes(self, args: dict) -> dict:
        numbers = count(_INT_PROBE_BASE)
        probes = {}
        for name, kind in self.kinds.items():
            if kind is int:
                probes[name] = next(numbers)
            elif kind is Decimal:  # two places: what a money column keeps
                probes[name] = Decimal(next(numbers)).scaleb(-2)
            elif kind is str:
                probes[name] = _STR_PROBE.format(next(numbers))
            elif kind is SHAPE:
                probes[name] = args[name]
            elif kind is datetime:
                probes[name] = _DATETIME_PROBE.replace(microsecond=next(numbers) % 1_000_000)
            else:
                probes[name] = [next(numbers) for _ in args[name]]
        return probes


class _UpdateShape(_Shape):
    """One compiled UPDATE on one connection: the SQL and where each argument goes; running it answers the count of
    rows it changed, as ``QuerySet.update`` does."""

    def __init__(self, built: tuple, probes: dict[str, object], alias: str, shaped: frozenset = frozenset()):
        queryset, values = built
        if queryset._prefetch_related_lookups or queryset.query.annotation_select or queryset.query.extra_select:
            raise PreparedReadError("an update of a queryset with prefetches or annotations cannot be prepared")
        if queryset.query.is_sliced:
            raise PreparedReadError("a sliced queryset cannot be updated")
        query = queryset.query.chain(UpdateQuery)
        query.add_update_values(values)
        query.get_initial_alias()
        if query.related_updates or query.count_active_tables() != 1:
            raise PreparedReadError("only an update of one table's own columns, filtered on them, can be prepared")
        self.sql, params = query.get_compiler(using=alias).as_sql()
        if not self.sql:
            raise PreparedReadError("an update without values cannot be prepared")
        self._place(params, probes, alias, shaped)

    def run(self, connection, args: dict) -> int:
        params = self._params(connection, args)
        with transaction.mark_for_rollback_on_error(using=connection.alias), connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            return cursor.rowcount


class PreparedUpdate(PreparedRead):
    """An UPDATE compiled once per connection and shape, then run with new values: ``build(**args)`` returns
    ``(queryset, values)`` — what ``queryset.update(**values)`` would be given (``F()`` expressions included) — and
    the call answers the number of rows changed, as ``update()`` does. The kinds, the probes and what is refused
    are the reads' (module docstring); only one table's own columns, filtered on them, can be updated (no join, no
    parent model of a multi-table model). An argument is found once among the parameters: a value needed twice
    (``SET stock = stock − q WHERE stock >= q``) is two arguments."""

    _shape_class = _UpdateShape

    def _unprepared(self, args: dict) -> int:
        queryset, values = self.build(**args)
        return queryset.update(**values)

    def _alias(self, args: dict) -> str:
        queryset, _values = self.build(**self._probes(args))
        self._db = router.db_for_write(queryset.model)
        return self._db
