"""Shared machinery of the CSV loaders: chunked row reading, exact decimals, timestamps, checks.

Design contract:
- files are read in chunks of at most ``chunk_size`` rows through the ``csv`` module (gzip when
  the name ends in ``.gz`` or the file starts with the gzip magic); never the whole file at once;
- one row per line (no quoted newlines); blank lines are skipped but still counted, so ``line``
  in a :class:`~replay.loaders.errors.DataError` is the line a text editor shows;
- decimals are converted to raw ``int64`` from their digits, in bulk with numpy: exact, never
  through float, never rounded (a value needing more decimals than the precision is an error);
- NaN, inf, exponents, blanks and any non-digit text are refused, naming line, field and value.

Measured (perf/csv_loaders.py): the byte-matrix decimal parse runs at several million values/s;
the per-value Python parser is kept only to explain the first bad value of a chunk.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from collections.abc import Iterator, Sequence
from itertools import islice
from pathlib import Path

import attrs
import numpy as np

from domain.codec import as_kind, empty
from domain.enums import RecordFlag
from domain.kinds import RECORD_DTYPE
from replay.loaders.errors import DataError

DEFAULT_CHUNK_SIZE = 65_536
MAX_PRECISION = 12
_POW10 = 10 ** np.arange(19, dtype=np.int64)
_INT64_MAX = 2**63 - 1
_DECIMAL = re.compile(r"([+-]?)(\d*)(?:\.(\d*))?")


def open_text(path: str | Path) -> io.TextIOBase:
    """Opens ``path`` for reading text, decompressing gzip transparently."""
    with open(path, "rb") as f:
        gz = f.read(2) == b"\x1f\x8b"
    if gz or str(path).endswith(".gz"):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")
    return open(path, encoding="utf-8", newline="")  # noqa: SIM115 - the caller closes it


@attrs.frozen
class RowChunk:
    """A chunk of rows as columns of strings; ``lines[i]`` is the file line of row ``i``."""

    path: str
    lines: np.ndarray
    columns: dict[str, tuple[str, ...]]

    def __len__(self) -> int:
        return len(self.lines)

    def fail(self, i: int, field: str, why: str, value: object = None) -> DataError:
        """Returns the error for row ``i``'s ``field`` (its text unless ``value`` is given)."""
        shown = self.columns[field][i] if value is None and field in self.columns else value
        return DataError(self.path, int(self.lines[i]), field, shown, why)


def iter_row_chunks(path: str | Path, chunk_size: int = DEFAULT_CHUNK_SIZE, *,
                    required: Sequence[str] = (), names: Sequence[str] | None = None
                    ) -> Iterator[RowChunk]:
    """Yields the data rows of a CSV file in chunks of at most ``chunk_size`` rows.

    With ``names`` the file has no header and its columns are named by ``names``; otherwise the
    first line is a header (names lowercased and stripped). Raises DataError for an empty file,
    a missing ``required`` column or a row whose field count differs from the header's.
    """
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
    path = str(path)
    with open_text(path) as f:
        reader = csv.reader(f)
        if names is None:
            header = next(reader, None)
            if not header:
                raise DataError(path, 1, "header", "", "empty file: no header line")
            header = [h.strip().lower() for h in header]
            line = 2
        else:
            header, line = list(names), 1
        for name in required:
            if name not in header:
                raise DataError(path, 1, name, None, f"missing column; the header is {header}")
        n_rows = 0
        while rows := list(islice(reader, chunk_size)):
            lines = np.arange(line, line + len(rows), dtype=np.int64)
            line += len(rows)
            widths = np.fromiter(map(len, rows), np.int64, count=len(rows))
            if not widths.all():
                keep = np.flatnonzero(widths)
                rows, lines, widths = [rows[i] for i in keep], lines[keep], widths[keep]
            bad = np.flatnonzero(widths != len(header))
            if bad.size:
                i = int(bad[0])
                raise DataError(path, int(lines[i]), "row", ",".join(rows[i]),
                                f"has {widths[i]} fields, expected {len(header)} ({header})")
            if rows:
                n_rows += len(rows)
                yield RowChunk(path, lines, dict(zip(header, zip(*rows, strict=True),
                                                     strict=True)))
    if n_rows == 0:
        raise DataError(path, line - 1 if line > 1 else 1, "rows", 0, "empty file: no data rows")


def _split_decimal(text: str) -> tuple[str, str, str]:
    """Returns (sign, whole digits, fraction digits); ValueError if ``text`` is no plain decimal."""
    m = _DECIMAL.fullmatch(text)
    if m is None or not (m.group(2) or m.group(3)):
        if text.strip().lower().lstrip("+-") in ("nan", "inf", "infinity"):
            raise ValueError("NaN or infinite values are refused")
        raise ValueError("not a plain decimal number (digits with an optional point)")
    return m.group(1), m.group(2), m.group(3) or ""


def decimal_to_raw(text: str, precision: int) -> int:
    """Returns ``text`` (a plain decimal) scaled by ``10**precision``; raises ValueError why not."""
    sign, whole, frac = _split_decimal(text)
    if frac[precision:].strip("0"):
        raise ValueError(f"needs {len(frac.rstrip('0'))} decimals but the precision is "
                         f"{precision}; it is never rounded")
    raw = int(whole or "0") * 10**precision + int(frac[:precision].ljust(precision, "0") or "0")
    if raw > _INT64_MAX:
        raise ValueError(f"overflows int64 at precision {precision}")
    return -raw if sign == "-" else raw


def _byte_matrix(values: Sequence[str]) -> np.ndarray | None:
    try:
        arr = np.array(values, dtype="S")
    except UnicodeEncodeError:
        return None
    return arr.view(np.uint8).reshape(len(values), arr.itemsize)


def _decode(mat: np.ndarray, precision: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Returns (raw, bad, decimals needed) per row of a NUL-padded ASCII byte matrix; a row
    whose text is no plain decimal is bad and needs -1 decimals."""
    n, w = mat.shape
    cols = np.arange(w)[None, :]
    lengths = (mat != 0).sum(1)
    signed = (mat[:, 0] == ord("-")) | (mat[:, 0] == ord("+"))
    is_dot = mat == ord(".")
    n_dots = is_dot.sum(1)
    dotpos = np.where(n_dots == 1, is_dot.argmax(1), lengths)[:, None]
    is_digit = (mat >= ord("0")) & (mat <= ord("9"))
    in_str = cols < lengths[:, None]
    allowed = is_digit | is_dot | ~in_str | ((cols == 0) & signed[:, None])
    digit = np.where(is_digit, mat.astype(np.int64) - ord("0"), 0)
    exp = precision + dotpos - cols - (cols < dotpos)
    nonzero = digit != 0
    bad_syntax = ~allowed.all(1) | (n_dots > 1) | ~is_digit.any(1)
    too_big = ((exp > 18) & nonzero) | ((exp == 18) & (digit > 8))
    bad = bad_syntax | ((exp < 0) & nonzero).any(1) | too_big.any(1)
    raw = (digit * _POW10[np.clip(exp, 0, 18)] * (exp >= 0)).sum(1)
    needed = np.where(nonzero & (cols > dotpos), cols - dotpos, 0).max(1)
    return np.where(mat[:, 0] == ord("-"), -raw, raw), bad, np.where(bad_syntax, -1, needed)


def parse_decimals(chunk: RowChunk, field: str, precision: int) -> np.ndarray:
    """Returns the column's values as exact raw int64 at ``precision``; DataError on a bad one."""
    values = chunk.columns[field]
    mat = _byte_matrix(values)
    if mat is not None and mat.shape[1] <= 40:
        raw, bad, _ = _decode(mat, precision)
        if not bad.any():
            return raw
        first = int(np.flatnonzero(bad)[0])
    else:
        first = 0
    for i in range(first, len(values)):
        try:
            decimal_to_raw(values[i], precision)
        except ValueError as exc:
            raise chunk.fail(i, field, str(exc)) from None
    # only values in 9.0e18..2**63-1 reach here: exact in Python ints, too near int64's end for
    # the byte-matrix path
    return np.array([decimal_to_raw(v, precision) for v in values], np.int64)


def parse_decimals_rounded(chunk: RowChunk, field: str, precision: int) -> np.ndarray:
    """Like :func:`parse_decimals` for non-negative values, but digits past ``precision`` are
    rounded half up instead of refused (only for columns the caller opts in, e.g. volume)."""
    values = chunk.columns[field]
    mat = _byte_matrix(values)
    if mat is None or mat.shape[1] > 40:
        return parse_decimals(chunk, field, precision)
    needed = _decode(mat, 0)[2]
    long_rows = np.flatnonzero(needed > precision).tolist()
    if needed.min() < 0 or not long_rows:
        return parse_decimals(chunk, field, precision)
    texts, round_up = list(values), np.zeros(len(values), np.int64)
    for i in long_rows:
        whole, _, frac = texts[i].partition(".")
        texts[i] = f"{whole}.{frac[:precision]}"
        round_up[i] = frac[precision] >= "5"
    cut = attrs.evolve(chunk, columns={**chunk.columns, field: tuple(texts)})
    return parse_decimals(cut, field, precision) + round_up


def decimals_needed(chunk: RowChunk, field: str) -> int:
    """Returns the fewest decimals representing every value of the column; DataError if one is
    no plain decimal (NaN, text, blank)."""
    values = chunk.columns[field]
    mat = _byte_matrix(values)
    needed = _decode(mat, 0)[2] if mat is not None and mat.shape[1] <= 40 else None
    if needed is not None and needed.min() >= 0:
        return int(needed.max())
    for i, text in enumerate(values):
        try:
            _split_decimal(text)
        except ValueError as exc:
            raise chunk.fail(i, field, str(exc)) from None
    return max(len(_split_decimal(text)[2].rstrip("0")) for text in values)


def infer_precision(path: str | Path, fields: Sequence[str] = ("bid", "ask"), *,
                    max_rows: int | None = None, names: Sequence[str] | None = None) -> int:
    """Scans the file (or its first ``max_rows`` rows) and returns the smallest precision that
    represents every value of ``fields`` exactly (decimal digits after the point)."""
    best, seen = 0, 0
    size = DEFAULT_CHUNK_SIZE if max_rows is None else max(1, min(max_rows, DEFAULT_CHUNK_SIZE))
    for chunk in iter_row_chunks(path, size, required=fields, names=names):
        best = max([best, *(decimals_needed(chunk, f) for f in fields)])
        seen += len(chunk)
        if max_rows is not None and seen >= max_rows:
            break
    return best


def parse_int_column(chunk: RowChunk, field: str, *, scale: int = 1) -> np.ndarray:
    """Returns an integer column times ``scale`` as int64; DataError on a non-integer."""
    return parse_decimals(chunk, field, 0) * scale


def check_precision(name: str, value: int) -> int:
    """Returns ``value`` if it is a usable precision, else raises ValueError naming ``name``."""
    if not 0 <= value <= MAX_PRECISION:
        raise ValueError(f"{name} must be in 0..{MAX_PRECISION}, got {value}")
    return value


def check_positive(chunk: RowChunk, field: str, raw: np.ndarray, *, allow_zero: bool = True
                   ) -> None:
    """Raises DataError on the first negative value (or zero unless ``allow_zero``)."""
    bad = np.flatnonzero(raw < 0 if allow_zero else raw <= 0)
    if bad.size:
        rule = "must not be negative" if allow_zero else "must be positive"
        raise chunk.fail(int(bad[0]), field, rule)


class MonotonicClock:
    """Checks that timestamps never go backwards within one file (ties allowed)."""

    def __init__(self) -> None:
        self.last_ns = np.iinfo(np.int64).min

    def check(self, chunk: RowChunk, field: str, ts_ns: np.ndarray) -> None:
        """Raises DataError on the first timestamp earlier than the one before it."""
        if not ts_ns.size:
            return
        prev = np.concatenate(([self.last_ns], ts_ns[:-1]))
        bad = np.flatnonzero(ts_ns < prev)
        if bad.size:
            i = int(bad[0])
            raise chunk.fail(i, field, f"timestamp goes backwards ({int(ts_ns[i])} ns < "
                             f"{int(prev[i])} ns on the row before)")
        self.last_ns = int(ts_ns[-1])


def new_records(kind: int, ts_event: np.ndarray, ts_init: np.ndarray, instrument_id: int,
                price_precision: int, size_precision: int, source: int = 0
                ) -> tuple[np.ndarray, np.ndarray]:
    """Returns (records, typed view) of INPUT records of ``kind`` with the common columns set."""
    out = empty(kind, len(ts_event))
    view = as_kind(out, kind)
    view["ts_event"], view["ts_init"], view["source"] = ts_event, ts_init, source
    view["flags"] = RecordFlag.INPUT
    view["instrument_id"] = instrument_id
    view["price_precision"], view["size_precision"] = price_precision, size_precision
    return out, view


def load_all(chunks: Iterator[np.ndarray]) -> np.ndarray:
    """Concatenates a loader's chunks into one array (for files that fit in memory)."""
    parts = list(chunks)
    return np.concatenate(parts) if parts else np.zeros(0, RECORD_DTYPE)
