"""Bulk loading for the scale data (demo.scale): COPY on PostgreSQL, bulk INSERT elsewhere, with progress."""

import csv
import io
import json
import time
from collections.abc import Callable, Iterable, Iterator

from django.db import connection, models
from django.utils import timezone

from exchanges.models import ExchangeRecord


class _Chunks(io.RawIOBase):
    """A file-like object COPY reads from, filled by a generator of CSV text chunks."""

    def __init__(self, chunks: Iterator[str]):
        self._chunks = chunks
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._buffer += chunk.encode()
        if size < 0:
            data, self._buffer = self._buffer, b""
        else:
            data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data


def _csv_value(value):
    if value is None:
        return None
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return value


NULL = "\\N"


class Loader:
    """Writes rows of one model: COPY on PostgreSQL, bulk INSERT elsewhere. Prints progress and rows/s."""

    def __init__(self, write: Callable[[str], None], chunk_rows: int = 20_000):
        self.write = write
        self.chunk_rows = chunk_rows

    @staticmethod
    def columns(model: type[models.Model], given: Iterable[str]) -> tuple[list[models.Field], dict]:
        """Every concrete field; those not `given` take the model default (or NULL). A required field without
        a default that the generator does not know is an error, so a changed model is noticed, not guessed."""
        given = set(given)
        fields, defaults = [], {}
        for f in model._meta.concrete_fields:
            fields.append(f)
            if f.attname in given or f.name in given:
                continue
            if f.has_default():
                defaults[f.attname] = f.get_default()
            elif getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                defaults[f.attname] = timezone.now()
            elif f.null:
                defaults[f.attname] = None
            elif f.blank and f.empty_strings_allowed:
                defaults[f.attname] = ""
            else:
                raise RuntimeError(f"generate_scale_data: {model.__name__}.{f.name} has no default; add it to the generator")
        return fields, defaults

    def load(self, model: type[models.Model], rows: Iterable[dict], total: int) -> int:
        rows = iter(rows)
        first = next(rows, None)
        if first is None:
            return 0
        fields, defaults = self.columns(model, first)
        names = [f.attname for f in fields]
        started = time.monotonic()
        done = 0

        def report(what="streamed"):
            elapsed = max(time.monotonic() - started, 1e-6)
            self.write(f"  {model._meta.db_table}: {done:,}/{total:,} rows {what}, {elapsed:.1f} s, "
                       f"{done / elapsed:,.0f} rows/s")

        def records():
            nonlocal done
            for row in _prepend(first, rows):
                done += 1
                if done % 500_000 == 0:
                    report()
                yield [_value(row, name, defaults) for name in names]

        if connection.vendor == "postgresql":
            def chunks():
                buffer = io.StringIO()
                writer = csv.writer(buffer, lineterminator="\n")
                for n, values in enumerate(records(), 1):
                    writer.writerow([NULL if v is None else _csv_value(v) for v in values])
                    if n % self.chunk_rows == 0:
                        yield buffer.getvalue()
                        buffer.seek(0)
                        buffer.truncate()
                yield buffer.getvalue()

            column_sql = ", ".join(connection.ops.quote_name(f.column) for f in fields)
            with connection.cursor() as cursor:
                cursor.cursor.copy_expert(
                    f"COPY {connection.ops.quote_name(model._meta.db_table)} ({column_sql}) "
                    f"FROM STDIN WITH (FORMAT csv, NULL '{NULL}')",
                    _Chunks(chunks()),
                    size=1 << 16,
                )
        else:
            batch = []
            for values in records():
                batch.append(model(**dict(zip(names, values, strict=True))))
                if len(batch) >= 2_000:
                    model._base_manager.bulk_create(batch) if model is not ExchangeRecord else _bulk_records(batch)
                    batch = []
            if batch:
                model._base_manager.bulk_create(batch) if model is not ExchangeRecord else _bulk_records(batch)
        report("loaded")  # in autocommit this includes the deferred foreign-key checks run at commit
        return done


def _bulk_records(batch):
    from exchanges.models import nws_write

    with nws_write():  # the synthetic NWS history of an empty scratch database (SQLite only; PostgreSQL uses COPY)
        ExchangeRecord.objects.bulk_create(batch)


def _prepend(first, rest):
    yield first
    yield from rest


def _value(row: dict, name: str, defaults: dict):
    if name in row:
        return row[name]
    return defaults[name]


def reset_sequences(models_: list[type[models.Model]]) -> None:
    from django.core.management.color import no_style

    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), models_):
            cursor.execute(sql)
