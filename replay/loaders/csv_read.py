"""Columnar CSV reading with pyarrow: chunks of raw-byte columns, and file lines for errors.

Design contract:
- the header (when the file has one) is read here (at most 1 MiB, UTF-8); every column is read by
  ``pyarrow.csv`` as raw bytes (``binary``), so nothing is converted, rounded or UTF-8-checked
  on the way: the loaders parse the bytes exactly (see :mod:`replay.loaders.csv_scan`);
- the file is streamed in blocks of ``BLOCK_SIZE`` bytes (gzip transparently); a line longer than
  a block, or a row with the wrong number of fields, raises DataError naming the file and the
  line (found by rescanning the file, only when there is an error);
- blank lines are skipped but counted: :func:`line_of_row` maps a data row to the line a text
  editor shows.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from replay.loaders.errors import DataError

BLOCK_SIZE = 4 << 20
MAX_HEADER = 1 << 20


def is_gzip(path: str) -> bool:
    with open(path, "rb") as f:
        return f.read(2) == b"\x1f\x8b" or path.endswith(".gz")


def open_binary(path: str | Path) -> IO[bytes]:
    """Opens ``path`` for reading bytes, decompressing gzip transparently."""
    path = str(path)
    return gzip.open(path, "rb") if is_gzip(path) else open(path, "rb")  # noqa: SIM115


class TextColumn(Sequence[str]):
    """One column of a chunk as raw bytes: row ``i`` is ``data[offsets[i]:offsets[i + 1]]``."""

    __slots__ = ("arrow", "data", "offsets", "scanned")

    def __init__(self, arrow: pa.Array) -> None:
        bufs = arrow.buffers()
        self.arrow = arrow
        self.offsets = np.frombuffer(bufs[1], np.int32)[arrow.offset:arrow.offset + len(arrow) + 1]
        self.data = np.frombuffer(bufs[2], np.uint8) if bufs[2] is not None and len(bufs[2]) \
            else np.zeros(0, np.uint8)
        self.scanned: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def raw(self, i: int) -> bytes:
        """Returns row ``i``'s bytes."""
        return self.data[self.offsets[i]:self.offsets[i + 1]].tobytes()

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return tuple(self[j] for j in range(*i.indices(len(self))))
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        return self.raw(i).decode("utf-8", "backslashreplace")

    def tolist(self) -> list[str]:
        """Returns every value as text (non-UTF-8 bytes shown as ``\\xNN``)."""
        return [b.decode("utf-8", "backslashreplace") for b in self.arrow.to_pylist()]

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        return np.array(self.tolist(), dtype=dtype)

    def byte_matrix(self) -> np.ndarray:
        """Returns the values as a NUL-padded (rows, widest) uint8 matrix."""
        lengths = np.diff(self.offsets).astype(np.int64)
        width = int(lengths.max(initial=0))
        mat = np.zeros((len(self), max(width, 1)), np.uint8)
        if width:
            cols = np.arange(width)[None, :]
            mask = cols < lengths[:, None]
            idx = (self.offsets[:-1].astype(np.int64)[:, None] + cols)[mask]
            mat[:, :width][mask] = self.data[idx]
        return mat


def read_header(path: str) -> list[str]:
    """Returns the first line's column names, lowercased and stripped; DataError if empty."""
    with open_binary(path) as f:
        first = f.readline(MAX_HEADER + 1)
    if len(first) > MAX_HEADER:
        raise DataError(path, 1, "header", first[:80].decode("utf-8", "replace") + "...",
                        f"header line longer than {MAX_HEADER} bytes")
    try:
        text = first.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError:
        raise DataError(path, 1, "header", first[:200].decode("utf-8", "backslashreplace"),
                        "the header holds non-UTF-8 bytes") from None
    header = next(csv.reader(io.StringIO(text)), None)
    if not header:
        raise DataError(path, 1, "header", "", "empty file: no header line")
    return [h.strip().lower() for h in header]


def iter_tables(path: str, names: Sequence[str], skip_header: bool) -> Iterator[pa.RecordBatch]:
    """Yields the file's data rows as record batches of binary columns named ``names``."""
    read = pacsv.ReadOptions(column_names=list(names), skip_rows=int(skip_header),
                             block_size=BLOCK_SIZE)
    convert = pacsv.ConvertOptions(column_types={n: pa.binary() for n in names})
    parse = pacsv.ParseOptions(invalid_row_handler=lambda row: "error")
    try:
        stream = pa.input_stream(path, compression="gzip" if is_gzip(path) else None)
        reader = pacsv.open_csv(stream, read_options=read, parse_options=parse,
                                convert_options=convert)
        yield from reader
    except pa.ArrowInvalid as exc:
        if "Empty CSV file" in str(exc):
            return
        raise _locate_parse_error(path, names, skip_header, str(exc)) from None


def reread_column(path: str, names: Sequence[str], skip_header: bool, name: str,
                  first_row: int, n_rows: int) -> TextColumn:
    """Returns column ``name`` of data rows ``first_row .. first_row + n_rows - 1`` as raw
    bytes, read again from the file (for the text of values parsed some other way)."""
    parts, seen = [], 0
    for batch in iter_tables(path, names, skip_header):
        lo, hi = max(first_row - seen, 0), min(first_row + n_rows - seen, batch.num_rows)
        if lo < hi:
            parts.append(batch.column(name).slice(lo, hi - lo))
        seen += batch.num_rows
        if seen >= first_row + n_rows:
            break
    return TextColumn(pa.chunked_array(parts, pa.binary()).combine_chunks())


def _locate_parse_error(path: str, names: Sequence[str], skip_header: bool, arrow: str
                        ) -> DataError:
    """Returns the DataError for the first line pyarrow could not read (rescans the file)."""
    with open_binary(path) as f:
        for number, line in enumerate(f, start=1):
            if skip_header and number == 1:
                continue
            body = line.rstrip(b"\r\n")
            shown = body[:200].decode("utf-8", "backslashreplace")
            if len(body) >= BLOCK_SIZE:
                return DataError(path, number, "row", shown + "...",
                                 f"line of {len(body)} bytes is longer than the "
                                 f"{BLOCK_SIZE} bytes a CSV line may have")
            if body and body.count(b",") != len(names) - 1:
                return DataError(path, number, "row", shown,
                                 f"has {body.count(b',') + 1} fields, expected {len(names)} "
                                 f"({list(names)})")
    return DataError(path, 1, "file", None, f"unreadable CSV: {arrow}")


def line_of_row(path: str, row: int, has_header: bool) -> int:
    """Returns the 1-based file line of data row ``row`` (0-based; blank lines skipped)."""
    seen = -1
    number = 0
    with open_binary(path) as f:
        for number, line in enumerate(f, start=1):
            if has_header and number == 1:
                continue
            if line.rstrip(b"\r\n"):
                seen += 1
                if seen == row:
                    return number
    return number + 1
