"""Shared machinery of the CSV loaders: columnar chunks, exact decimals, precision, checks.

Design contract:
- files are read in chunks of rows (:mod:`replay.loaders.csv_chunks`): number columns that
  pyarrow converts exactly as it reads (:mod:`replay.loaders.csv_typed`), every other column
  as raw bytes, parsed here exactly;
- decimals in raw bytes are converted to raw ``int64`` from their digits by pyarrow compute kernels
  (:mod:`replay.loaders.csv_scan`), or for a file of at least ``NUMBA_MIN_BYTES`` by their numba
  twin (:mod:`replay.loaders.csv_scan_numba`, imported only then): exact, never through float, never rounded (a value needing
  more decimals than the precision is an error);
- a precision not given is inferred in the same pass from a bounded sample, the first
  ``INFER_ROWS`` rows (or ``infer_rows``), read ahead and then yielded: a later value needing
  more decimals is refused, naming its line (never rounded);
- NaN, inf, exponents, blanks and any non-digit text are refused, naming line, field and value.
"""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np

from domain.codec import as_kind, empty
from domain.enums import RecordFlag
from domain.kinds import RECORD_DTYPE
from replay.loaders.csv_chunks import DEFAULT_CHUNK_SIZE, RowChunk, iter_row_chunks
from replay.loaders.csv_read import open_binary
from replay.loaders.csv_scan import BAD_SYNTAX, OK, rescale, scan_decimals
from replay.loaders.csv_typed import TypedColumn
from replay.loaders.errors import DataError
from replay.sources import first_backwards

__all__ = ["DEFAULT_CHUNK_SIZE", "RowChunk", "iter_row_chunks"]  # re-exported for the loaders
#: rows read ahead to infer a precision that is not given
INFER_ROWS = 1_048_576
MAX_PRECISION = 12
_INT64_MAX = 2**63 - 1
_DECIMAL = re.compile(r"([+-]?)(\d*)(?:\.(\d*))?")


def open_text(path: str | Path) -> io.TextIOBase:
    """Opens ``path`` for reading text (UTF-8, undecodable bytes shown as ``\\xNN``)."""
    return io.TextIOWrapper(open_binary(path), encoding="utf-8", errors="backslashreplace",
                            newline="")


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
    if len(whole.lstrip("0")) + precision > 19:
        raise ValueError(f"overflows int64 at precision {precision}")
    raw = int(whole or "0") * 10**precision + int(frac[:precision].ljust(precision, "0") or "0")
    if raw > _INT64_MAX:
        raise ValueError(f"overflows int64 at precision {precision}")
    return -raw if sign == "-" else raw


def scanned(chunk: RowChunk, field: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Returns the column's (mantissa, fraction digits, status), scanning it once."""
    col = chunk.columns[field]
    if isinstance(col, TypedColumn):
        return col.exact()
    if col.scanned is None and chunk.compiled:
        from replay.loaders.csv_scan_numba import scan_decimals as scan_compiled

        col.scanned = scan_compiled(col.data, col.offsets)
    elif col.scanned is None:
        col.scanned = scan_decimals(col.arrow)
    return col.scanned


def _explain(chunk: RowChunk, field: str, status: np.ndarray, precision: int) -> DataError:
    i = int(np.flatnonzero(status)[0])
    try:
        decimal_to_raw(chunk.columns[field][i], precision)
    except ValueError as exc:
        return chunk.fail(i, field, str(exc))
    return chunk.fail(i, field, "not a plain decimal number (digits with an optional point)")


def parse_decimals(chunk: RowChunk, field: str, precision: int) -> np.ndarray:
    """Returns the column's values as exact raw int64 at ``precision``; DataError on a bad one."""
    col = chunk.columns[field]
    if isinstance(col, TypedColumn):
        raw, bad = col.at_precision(precision)
        if bad is not None:
            raise _explain(chunk, field, bad, precision)
        return raw
    raw, status = rescale(*scanned(chunk, field), precision)
    if status.any():
        raise _explain(chunk, field, status, precision)
    return raw


def parse_decimals_rounded(chunk: RowChunk, field: str, precision: int) -> np.ndarray:
    """Like :func:`parse_decimals` for non-negative values, but digits past ``precision`` are
    rounded half up instead of refused (only for columns the caller opts in, e.g. volume)."""
    mant, frac, status = scanned(chunk, field)
    if status.any():
        raise _explain(chunk, field, status, precision)
    drop = frac - precision
    if not (drop > 0).any():
        return parse_decimals(chunk, field, precision)
    keep = np.where(drop > 0, precision, frac)
    div = np.power(10, np.clip(drop, 0, 18), dtype=np.int64)
    cut, rem = np.divmod(mant, div)
    up = np.where(drop > 18, (drop == 19) & (mant >= 5 * 10**18), rem * 2 >= div) & (drop > 0)
    cut = np.where(drop > 18, 0, cut)
    raw, status = rescale(np.where(drop > 0, cut, mant), keep, status, precision)
    if status.any():
        raise _explain(chunk, field, status, precision)
    return raw + up


def decimals_needed(chunk: RowChunk, field: str, rows: int | None = None) -> int:
    """Returns the fewest decimals representing every value of the column (or of its first
    ``rows`` rows); DataError if one is no plain decimal (NaN, text, blank)."""
    col = chunk.columns[field]
    if isinstance(col, TypedColumn):
        return col.decimals_needed(rows)
    _, frac, status = (a[:rows] for a in scanned(chunk, field))
    if (status == BAD_SYNTAX).any():
        raise _explain(chunk, field, status == BAD_SYNTAX, 0)
    return int(frac[status == OK].max(initial=0))


def _needed(chunk: RowChunk, groups: Mapping[str, Sequence[str]], rows: int,
            best: dict[str, int]) -> None:
    for group, fields in groups.items():
        for field in fields:
            if field in chunk.columns:
                needed = decimals_needed(chunk, field, rows)
                if needed > MAX_PRECISION:
                    i = int(np.flatnonzero(scanned(chunk, field)[1] > MAX_PRECISION)[0])
                    raise chunk.fail(i, field, f"needs {needed} decimals; at most "
                                     f"{MAX_PRECISION} are supported")
                best[group] = max(best[group], needed)


def sample_precisions(chunks: Iterator[RowChunk], groups: Mapping[str, Sequence[str]],
                      max_rows: int | None = None
                      ) -> tuple[dict[str, int], Iterator[RowChunk]]:
    """Reads ahead the first ``max_rows`` rows (default INFER_ROWS) and returns (the fewest
    decimals per group of fields, every chunk: the ones read ahead first). A later value that
    needs more decimals is refused when its chunk is parsed."""
    limit = INFER_ROWS if max_rows is None else max(1, max_rows)
    best = dict.fromkeys(groups, 0)
    ahead: list[RowChunk] = []
    seen = 0
    while groups and seen < limit:
        chunk = next(chunks, None)
        if chunk is None:
            break
        ahead.append(chunk)
        _needed(chunk, groups, min(len(chunk), limit - seen), best)
        seen += len(chunk)
    return best, itertools.chain(ahead, chunks)


def with_precisions(chunks: Iterator[RowChunk], price: tuple[int | None, Sequence[str]],
                    size: tuple[int | None, Sequence[str]], max_rows: int | None = None
                    ) -> tuple[int, int, Iterator[RowChunk]]:
    """Returns (price_precision, size_precision, chunks): each ``(given, fields)`` pair's given
    precision, or the one :func:`sample_precisions` infers from its fields; both checked."""
    groups = {name: fields for name, (given, fields) in (("price", price), ("size", size))
              if given is None}
    found, chunks = sample_precisions(chunks, groups, max_rows)
    pp = found["price"] if price[0] is None else price[0]
    sp = found["size"] if size[0] is None else size[0]
    return check_precision("price_precision", pp), check_precision("size_precision", sp), chunks


def infer_precision(path: str | Path, fields: Sequence[str] = ("bid", "ask"), *,
                    max_rows: int | None = None, names: Sequence[str] | None = None) -> int:
    """Scans the file (or its first ``max_rows`` rows) and returns the smallest precision that
    represents every value of ``fields`` exactly (decimal digits after the point)."""
    best, seen = {"p": 0}, 0
    limit = max_rows if max_rows is not None else 2**62
    for chunk in iter_row_chunks(path, DEFAULT_CHUNK_SIZE, required=fields, names=names):
        _needed(chunk, {"p": fields}, min(len(chunk), limit - seen), best)
        seen += len(chunk)
        if seen >= limit:
            break
    return best["p"]


def parse_int_column(chunk: RowChunk, field: str, *, scale: int = 1) -> np.ndarray:
    """Returns an integer column times ``scale`` as int64; DataError on a non-integer or a
    product beyond int64."""
    raw = parse_decimals(chunk, field, 0)
    if scale != 1:
        over = np.flatnonzero(np.abs(raw) > _INT64_MAX // scale)
        if over.size:
            raise chunk.fail(int(over[0]), field, f"overflows int64 when multiplied by {scale} "
                             "(timestamps must lie within 1677-09-21..2262-04-11 in ns)")
    return raw * scale


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
        back = first_backwards(self.last_ns, ts_ns)
        if back is not None:
            i, before = back
            raise chunk.fail(i, field, f"timestamp goes backwards ({int(ts_ns[i])} ns < "
                             f"{before} ns on the row before)")
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
