"""A CSV file's data rows in chunks of columns: pyarrow-typed numbers where it can, raw bytes else.

Design contract:
- files are read by pyarrow in chunks of at most ``chunk_size`` rows (gzip when the name ends
  in ``.gz`` or the file starts with the gzip magic); never the whole file at once;
- the columns a loader names as numbers are converted by pyarrow as it reads when the file's
  start shows they can be (:mod:`replay.loaders.csv_typed`); anything that reading cannot take
  sends the rest of the file, from the first row not yet yielded, to raw-byte columns
  (:mod:`replay.loaders.csv_read`), parsed exactly by the loaders: same records, same errors;
- one row per line (no quoted newlines); blank lines are skipped but still counted, so ``line``
  in a :class:`~replay.loaders.errors.DataError` is the line a text editor shows (found by
  rescanning the file when there is an error).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import attrs
import pyarrow as pa

from replay.loaders.csv_read import (
    BLOCK_SIZE,
    TextColumn,
    iter_tables,
    line_of_row,
    read_header,
    reread_column,
)
from replay.loaders.csv_scan import NUMBA_MIN_BYTES
from replay.loaders.csv_typed import TypedColumn, TypedReadStopped, iter_typed_tables, plan_types
from replay.loaders.errors import DataError

DEFAULT_CHUNK_SIZE = 65_536
#: False reads every column as raw bytes (the exact scan alone: for comparisons and tests)
TYPED_READING = True


@attrs.frozen
class RowChunk:
    """A chunk of rows as raw-byte columns; row ``i`` is data row ``first_row + i`` of the file."""

    path: str
    first_row: int
    columns: dict[str, TextColumn | TypedColumn]
    has_header: bool = True
    #: scan decimals with the numba kernel (a large file: the import pays for itself)
    compiled: bool = False

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0

    def line(self, i: int) -> int:
        """Returns the file line of row ``i`` (rescans the file: for error messages only)."""
        return line_of_row(self.path, self.first_row + i, self.has_header)

    def fail(self, i: int, field: str, why: str, value: object = None) -> DataError:
        """Returns the error for row ``i``'s ``field`` (its text unless ``value`` is given)."""
        shown = self.columns[field][i] if value is None and field in self.columns else value
        if value is None and field in self.columns:
            try:
                self.columns[field].raw(i).decode("utf-8")
            except UnicodeDecodeError:
                why += " (the field holds non-UTF-8 bytes)"
        return DataError(self.path, self.line(i), field, shown, why)


def iter_row_chunks(path: str | Path, chunk_size: int = DEFAULT_CHUNK_SIZE, *,
                    required: Sequence[str] = (), names: Sequence[str] | None = None,
                    numbers: Mapping[str, int | None] | None = None) -> Iterator[RowChunk]:
    """Yields the data rows of a CSV file in chunks of at most ``chunk_size`` rows.

    With ``names`` the file has no header and its columns are named by ``names``; otherwise the
    first line is a header (names lowercased and stripped). Raises DataError for an empty file,
    a missing ``required`` column or a row whose field count differs from the header's.
    ``numbers`` names the columns the caller parses as numbers, with the decimals given for
    each (None: inferred; 0 for timestamps): pyarrow converts those it can while reading
    (:mod:`replay.loaders.csv_typed`, same values, same errors).
    """
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
    path = str(path)
    has_header = names is None
    header = read_header(path) if names is None else list(names)
    for name in required:
        if name not in header:
            raise DataError(path, 1, name, None, f"missing column; the header is {header}")
    shape = _Shape(path, header, has_header, chunk_size, os.path.getsize(path) >= NUMBA_MIN_BYTES)
    types = plan_types(path, header, has_header, numbers) if numbers and TYPED_READING else {}
    row = 0
    if any(t != pa.binary() for t in types.values()):
        try:
            for chunk in shape.chunks(iter_typed_tables(path, header, has_header, types,
                                                        BLOCK_SIZE), 0):
                yield chunk
                row += len(chunk)
            return
        except TypedReadStopped:
            pass  # read the rest as raw bytes, from the first row not yielded
    for chunk in shape.chunks(iter_tables(path, header, has_header), row):
        yield chunk
        row += len(chunk)
    if row == 0:
        raise DataError(path, 1, "rows", 0, "empty file: no data rows")


@attrs.frozen
class _Shape:
    """How a file's record batches become RowChunks."""

    path: str
    names: list[str]
    has_header: bool
    chunk_size: int
    compiled: bool

    def chunks(self, batches: Iterator[pa.RecordBatch], first_row: int) -> Iterator[RowChunk]:
        """Yields chunks of ``chunk_size`` rows from data row ``first_row`` on (the batches
        start at the file's first row)."""
        row, skip = first_row, first_row
        pending: list[pa.RecordBatch] = []
        n_pending = 0
        for batch in batches:
            if skip >= batch.num_rows:
                skip -= batch.num_rows
                continue
            batch, skip = batch.slice(skip), 0
            pending.append(batch)
            n_pending += batch.num_rows
            while n_pending >= self.chunk_size:
                table = pa.Table.from_batches(pending)
                yield self._chunk(row, table.slice(0, self.chunk_size))
                row += self.chunk_size
                rest = table.slice(self.chunk_size)
                pending, n_pending = rest.to_batches(), rest.num_rows
        if n_pending:
            yield self._chunk(row, pa.Table.from_batches(pending))

    def _chunk(self, first_row: int, table: pa.Table) -> RowChunk:
        columns: dict[str, TextColumn | TypedColumn] = {}
        for name in table.column_names:
            arrow = table.column(name).combine_chunks()
            if pa.types.is_binary(arrow.type):
                columns[name] = TextColumn(arrow)
            else:
                columns[name] = TypedColumn.of(arrow, functools.partial(
                    reread_column, self.path, self.names, self.has_header, name, first_row,
                    len(arrow)))
        return RowChunk(self.path, first_row, columns, self.has_header, self.compiled)
