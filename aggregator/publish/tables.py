"""Tables as downloads: a query's rows streamed, in batches from a server-side cursor, into a gzipped CSV file and
a Parquet file (row groups of ``BATCH_ROWS`` rows), typed from the query's columns.

Rows are fetched ``FETCH_ROWS`` at a time; each fetch is written to the CSV file and made into Arrow arrays at
once, and a row group is written when the fetches' arrays make ``BATCH_ROWS`` rows. Fetching whole row groups held
ten thousand rows as Python objects several times over (the rows, a part's copy, the CSV cells, each column's
list): an export of 1M releases peaked at 296 MB (302 to 314 in the scale bench); fetching 5,000 at a time, at 264
MB, with the same CPU time and the same bytes. 2,000 at a time gave 246 MB but 9 % more CPU time."""

from __future__ import annotations

import gzip
import io
import itertools
import json
import operator
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any, Protocol

import psycopg
import pyarrow as pa
import pyarrow.parquet as pq
from psycopg.postgres import types as postgres_types
from psycopg.rows import tuple_row

from aggregator.raw.text import CsvRows

BATCH_ROWS = 10_000
#: Rows fetched and made into Python objects at a time (ParquetSink gathers them into row groups of ``BATCH_ROWS``).
FETCH_ROWS = 5_000

# PostgreSQL type name -> (Table Schema type, Arrow type). Numeric is exact in the CSV files (as PostgreSQL writes
# it) and a double in the Parquet files, which is what analysis tools read; "_text" is text[].
TYPES: dict[str, tuple[str, pa.DataType]] = {
    "int2": ("integer", pa.int16()),
    "int4": ("integer", pa.int32()),
    "int8": ("integer", pa.int64()),
    "float4": ("number", pa.float64()),
    "float8": ("number", pa.float64()),
    "numeric": ("number", pa.float64()),
    "bool": ("boolean", pa.bool_()),
    "date": ("date", pa.date32()),
    "timestamptz": ("datetime", pa.timestamp("us", tz="UTC")),
    "_text": ("array", pa.list_(pa.string())),
}
STRING = ("string", pa.string())
#: The types whose values are Python strings as read (the only cells that can hold a carriage return as is).
TEXT_TYPES = frozenset({"text", "varchar", "bpchar", "name"})


@dataclass(frozen=True)
class Column:
    name: str
    pg_type: str  # the type's name, "_" + element type's name for an array

    @property
    def field_type(self) -> str:
        return TYPES.get(self.pg_type, STRING)[0]

    @property
    def arrow_type(self) -> pa.DataType:
        return TYPES.get(self.pg_type, STRING)[1]


def columns_of(description: Sequence[Any]) -> list[Column]:
    """The columns of a cursor's result, with their PostgreSQL type names."""
    columns = []
    for item in description:
        info = postgres_types.get(item.type_code)
        name = "text" if info is None else ("_" + info.name if item.type_code == info.array_oid else info.name)
        columns.append(Column(item.name, name))
    return columns


def csv_cell(value: object) -> str:
    """A value as Table Schema reads it by default: ISO 8601 dates, UTC datetimes with Z, JSON arrays."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def arrow_batch(columns: list[Column], rows: list[tuple]) -> pa.RecordBatch:
    arrays = []
    for index, column in enumerate(columns):
        values = [row[index] for row in rows]
        if column.arrow_type == pa.float64():
            values = [None if v is None else float(v) for v in values]
        elif column.arrow_type == pa.string():
            values = [None if v is None else str(v) for v in values]
        arrays.append(pa.array(values, type=column.arrow_type))
    return pa.RecordBatch.from_arrays(arrays, schema=arrow_schema(columns))


def arrow_schema(columns: list[Column]) -> pa.Schema:
    return pa.schema([pa.field(c.name, c.arrow_type) for c in columns])


class Sink(Protocol):
    def write(self, rows: list[tuple]) -> None: ...


def _utc(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _bool(value: bool | None) -> str | None:
    return None if value is None else ("true" if value else "false")


def _json(value: list | None) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False)


#: The columns whose values the csv module would not write as csv_cell does (it writes None as "", str() of the
#: rest: text, numbers and dates as they should be).
CONVERTERS: dict[str, Callable[[Any], str | None]] = {
    "timestamptz": _utc,
    "bool": _bool,
    "_text": _json,
    "json": _json,
    "jsonb": _json,
}


class CsvSink:
    """A CSV file with a header row, gzipped when its name ends with .gz (mtime=0 and no file name in the gzip
    header, so the same rows give the same bytes). Cells are written as :func:`csv_cell` writes them; only the
    columns whose type needs it are converted (``CONVERTERS``). Text is written exactly as stored: a cell that
    starts like a spreadsheet formula (``=``, ``+``, ``-``, ``@``) is not altered, and a cell holding a carriage
    return is quoted (``raw.text.CsvRows``)."""

    def __init__(self, stack: ExitStack, path: Path, columns: list[Column], header: bool = True) -> None:
        raw: IO[bytes] = stack.enter_context(partial(path))
        if path.suffix == ".gz":
            raw = stack.enter_context(gzip_member(raw))
        text = stack.enter_context(io.TextIOWrapper(raw, encoding="utf-8", newline=""))
        self._convert = [(i, CONVERTERS[c.pg_type]) for i, c in enumerate(columns) if c.pg_type in CONVERTERS]
        indexes = [i for i, c in enumerate(columns) if c.pg_type in TEXT_TYPES]
        # The text cells of a row, as a tuple (itemgetter gives a bare value for one index).
        texts = operator.itemgetter(*indexes, *indexes[:1]) if indexes else _no_text
        self._rows = CsvRows(text, texts)
        if header:
            self._rows.writerows([[c.name for c in columns]])

    def write(self, rows: list[tuple]) -> None:
        if self._convert:
            rows = [self._converted(row) for row in rows]
        self._rows.writerows(rows)

    def _converted(self, row: tuple) -> list:
        cells = list(row)
        for index, convert in self._convert:
            cells[index] = convert(cells[index])
        return cells


def _no_text(row: Sequence[Any]) -> tuple:
    return ()


def gzip_member(raw: IO[bytes]) -> gzip.GzipFile:
    """One gzip member written to ``raw``: no time and no file name in its header, so the same bytes in give the
    same bytes out."""
    return gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0, compresslevel=6)


class ParquetSink:
    """A Parquet file written in row groups of ``BATCH_ROWS`` rows (the last one shorter), from the batches given,
    kept as Arrow arrays until they make a row group."""

    def __init__(self, stack: ExitStack, path: Path, columns: list[Column]) -> None:
        raw = stack.enter_context(partial(path))
        self._columns = columns
        self._writer = stack.enter_context(pq.ParquetWriter(raw, arrow_schema(columns), compression="zstd"))
        self._pending: list[pa.RecordBatch] = []
        self._rows = 0
        stack.push(self._exit)  # before the writer closes: exits run last in, first out

    def write(self, rows: list[tuple]) -> None:
        while rows:
            room = BATCH_ROWS - self._rows
            taken, rows = rows[:room], rows[room:]
            self._pending.append(arrow_batch(self._columns, taken))
            self._rows += len(taken)
            if self._rows >= BATCH_ROWS:
                self._flush()

    def _exit(self, kind: object, error: object, traceback: object) -> bool:
        """The last row group, unless the rows stopped with an error (the file is then removed)."""
        if kind is None:
            self._flush()
        return False  # never swallow an error

    def _flush(self) -> None:
        if self._pending:
            self._writer.write_table(pa.Table.from_batches(self._pending), row_group_size=self._rows)
            self._pending, self._rows = [], 0


class partial:
    """Write ``path`` through ``path.partial``, renamed into place only when everything was written."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.partial = path.with_name(path.name + ".partial")

    def __enter__(self) -> io.BufferedWriter:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.file = self.partial.open("wb")
        return self.file

    def __exit__(self, kind: object, error: object, traceback: object) -> None:
        self.file.close()
        if kind is None:
            self.partial.replace(self.path)
        else:
            self.partial.unlink(missing_ok=True)


def write_query(
    conn: psycopg.Connection,
    statement: str | psycopg.sql.Composable,
    params: dict[str, Any] | None,
    csv_path: Path | None = None,
    parquet_path: Path | None = None,
) -> tuple[list[Column], int]:
    """Stream a query's rows into a CSV and/or a Parquet file; return the columns and the number of rows.

    Call inside a transaction (server-side cursors live in one)."""
    rows = 0
    with conn.cursor(name="export_table", row_factory=tuple_row) as cursor, ExitStack() as stack:
        cursor.itersize = FETCH_ROWS
        cursor.execute(statement, params)
        columns = columns_of(cursor.description or [])
        sinks: list[Sink] = []
        if csv_path:
            sinks.append(CsvSink(stack, csv_path, columns))
        if parquet_path:
            sinks.append(ParquetSink(stack, parquet_path, columns))
        while batch := cursor.fetchmany(FETCH_ROWS):
            for sink in sinks:
                sink.write(batch)
            rows += len(batch)
    return columns, rows


def write_parts(
    conn: psycopg.Connection,
    statement: str | psycopg.sql.Composable,
    params: dict[str, Any],
    paths: Callable[[Any], tuple[Path, Path]],
) -> dict[Any, int]:
    """Stream a query whose last column names each row's part, its rows grouped by part, into files per part: a
    CSV gzip member without a header row and a Parquet file (``paths(part)``); the part's column is not written.
    Return the rows of each part written (a part without rows gets no files).

    Call inside a transaction (server-side cursors live in one)."""
    counts: dict[Any, int] = {}
    with conn.cursor(name="export_parts", row_factory=tuple_row) as cursor:
        cursor.itersize = FETCH_ROWS
        cursor.execute(statement, params)
        columns = columns_of(cursor.description or [])[:-1]
        batches = _batches_by_part(cursor)
        pending = next(batches, None)
        while pending is not None:
            part, rows = pending[0], 0
            csv_path, parquet_path = paths(part)
            with ExitStack() as stack:
                sinks = (CsvSink(stack, csv_path, columns, header=False), ParquetSink(stack, parquet_path, columns))
                while pending is not None and pending[0] == part:
                    for sink in sinks:
                        sink.write(pending[1])
                    rows += len(pending[1])
                    pending = next(batches, None)
            counts[part] = rows
    return counts


def _batches_by_part(cursor: psycopg.Cursor) -> Iterator[tuple[Any, list[tuple]]]:
    while batch := cursor.fetchmany(FETCH_ROWS):
        for part, group in itertools.groupby(batch, key=operator.itemgetter(-1)):
            yield part, [row[:-1] for row in group]


def columns_of_query(
    conn: psycopg.Connection, statement: str | psycopg.sql.Composable, params: dict[str, Any] | None = None
) -> list[Column]:
    """A query's columns, without reading its rows."""
    with conn.cursor(name="export_columns", row_factory=tuple_row) as cursor:
        cursor.execute(statement, params)
        return columns_of(cursor.description or [])


def write_header_only(path: Path, columns: list[Column]) -> None:
    with ExitStack() as stack:
        CsvSink(stack, path, columns)
