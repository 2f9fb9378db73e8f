"""Number columns converted by pyarrow's CSV reader as it reads: the loaders' fast path.

Design contract:
- a loader names the columns it reads as numbers, with the decimals each is read at when the
  caller gave them (None: inferred; timestamps: 0); the first ``SNIFF_BYTES`` of the file are
  scanned exactly (:mod:`replay.loaders.csv_sample`) and a named column whose sample is all
  plain ``[-]digits`` is read as ``int64``, one of plain ``[-]digits[.digits]`` as
  ``decimal128(18, s)`` (``s``: the decimals given, else the sample's most); every other
  column stays raw bytes;
- pyarrow's number parsing takes text the exact scan refuses (blanks around a value, ``0x``
  hex, exponents): the data bytes are checked as the file is read, and an ``e``, ``E``, ``x``
  or ``X`` anywhere, or a space or tab at the edge of a field, stops the typed reading;
- whatever the typed reading cannot take (such a byte, text pyarrow does not parse, a value
  with more decimals than ``s`` or more than 18 digits, a malformed row) raises
  :class:`TypedReadStopped`; the caller then reads the file again as raw bytes from the first
  row it has not yielded, where the exact scan accepts the value or refuses it with its usual
  message: both readings give the same records and the same errors;
- a :class:`TypedColumn` holds each value exactly as ``int64`` at its scale; its text (for an
  error message) is read back from the file, only when asked for.

Measured on the 1 M seed-42 quotes (52 MB, 2 cores): reading with the prices as decimal128
and the times and sizes as int64 costs about 0.2 s of CPU against 0.12 s for raw bytes, where
scanning the five raw columns exactly cost another 0.2-0.25 s (docs/data.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from replay.loaders.csv_read import TextColumn, is_gzip
from replay.loaders.csv_sample import plain_decimals
from replay.loaders.csv_scan import drop_trailing_zeros

#: bytes of the file's start scanned exactly to choose the column types
SNIFF_BYTES = 64 << 10
#: the widest decimal the typed reading takes (its int64 value never overflows)
DECIMAL_DIGITS = 18
_MAX_SCALE = 12
_LETTERS = (b"e", b"E", b"x", b"X")
_SPACE, _TAB = ord(" "), ord("\t")
_COMMA, _QUOTE, _LF, _CR = (ord(c) for c in ',"\n\r')
_INT64_MAX = 2**63 - 1


class TypedReadStopped(Exception):
    """The typed reading met something it cannot take: read the rest as raw bytes."""


def _passes_guard(data: bytes, start: int, end: int) -> bool:
    """True if ``data[start:end]`` holds nothing that pyarrow's number parsing reads where the
    exact scan refuses: no ``e``/``E`` (exponents), no ``x``/``X`` (hex), and no space or tab
    at the edge of a field (pyarrow trims them), inside quotes or not."""
    if any(data.find(c, start, end) >= 0 for c in _LETTERS):
        return False
    if data.find(b" ", start, end) < 0 and data.find(b"\t", start, end) < 0:
        return True
    body = np.frombuffer(data, np.uint8, end - start, start)
    blank = body == _SPACE
    if data.find(b"\t", start, end) >= 0:
        blank |= body == _TAB
    at = np.flatnonzero(blank)
    if at[0] == 0 or at[-1] == len(body) - 1:
        return False
    return not (_edge(body[at - 1]) or _edge(body[at + 1]))


def _edge(around: np.ndarray) -> bool:
    """True if any of these bytes ends a field (a comma, a quote or a line end)."""
    return bool(((around == _COMMA) | (around == _QUOTE) | (around == _LF) | (around == _CR)).any())


def plan_types(path: str, names: Sequence[str], skip_header: bool,
               numbers: Mapping[str, int | None]) -> dict[str, pa.DataType]:
    """Returns the pyarrow type of every column (raw bytes for all when nothing can be typed)."""
    with pa.input_stream(path, compression="gzip" if is_gzip(path) else None) as f:
        sample = f.read(SNIFF_BYTES)
    sample = sample[:sample.rfind(b"\n") + 1]
    binary = dict.fromkeys(names, pa.binary())
    start = sample.find(b"\n") + 1 if skip_header else 0
    if not sample or not _passes_guard(sample, start, len(sample)):
        return binary
    try:
        table = pacsv.read_csv(pa.py_buffer(sample), read_options=pacsv.ReadOptions(
            column_names=list(names), skip_rows=int(skip_header)),
            convert_options=pacsv.ConvertOptions(column_types=binary))
    except pa.ArrowInvalid:
        return binary
    if not table.num_rows:
        return binary
    types = dict(binary)
    for name in names:
        if name in numbers:
            types[name] = _column_type(table.column(name).combine_chunks(), numbers[name])
    return types


def _column_type(raw: pa.Array, given: int | None) -> pa.DataType:
    plain = plain_decimals(raw)  # plain [-]digits[.digits] only: anything else stays raw bytes
    if plain is None:
        return pa.binary()
    most, any_point = plain
    scale = most if given is None else given
    if most > scale or scale > _MAX_SCALE:
        return pa.binary()
    if most == 0 and not any_point:
        return pa.int64()
    return pa.decimal128(DECIMAL_DIGITS, scale)


def iter_typed_tables(path: str, names: Sequence[str], skip_header: bool,
                      types: Mapping[str, pa.DataType], block_size: int
                      ) -> Iterator[pa.RecordBatch]:
    """Yields the file's rows as record batches of ``types``, reading ``block_size`` bytes
    at a time (cut after their last line; pyarrow converts each block on all cores);
    TypedReadStopped on anything the typed reading cannot take (see the module contract)."""
    read = pacsv.ReadOptions(column_names=list(names))
    convert = pacsv.ConvertOptions(column_types=dict(types), null_values=[],
                                   strings_can_be_null=False, true_values=[], false_values=[])
    in_header, carry = skip_header, b""
    with pa.input_stream(path, compression="gzip" if is_gzip(path) else None) as f:
        while True:
            data = f.read(block_size)
            block = carry + data if carry else data
            if not block:
                return
            end = block.rfind(b"\n") + 1 if data else len(block)
            if not end:
                raise TypedReadStopped("no line end within a block")
            carry = block[end:]
            start = block.find(b"\n") + 1 if in_header else 0
            in_header = False
            if not _passes_guard(block, start, end):
                raise TypedReadStopped("a byte the typed reading does not take")
            if start >= end:
                continue
            try:
                table = pacsv.read_csv(pa.py_buffer(memoryview(block)[start:end]),
                                       read_options=read, convert_options=convert)
            except pa.ArrowInvalid as exc:
                raise TypedReadStopped(str(exc)) from None
            yield from table.to_batches()


class TypedColumn(Sequence[str]):
    """One number column of a chunk: ``values`` (int64) is each value times ``10**scale``,
    exactly; the text is read back from the file by ``reread`` when first asked for."""

    __slots__ = ("_exact", "_reread", "_text", "scale", "values")

    def __init__(self, values: np.ndarray, scale: int, reread: Callable[[], TextColumn]) -> None:
        self.values, self.scale = values, scale
        self._reread = reread
        self._text: TextColumn | None = None
        self._exact: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    @classmethod
    def of(cls, arrow: pa.Array, reread: Callable[[], TextColumn]) -> TypedColumn:
        """Returns the column of an int64 or decimal128(18, s) array."""
        if pa.types.is_decimal(arrow.type):
            words = np.frombuffer(arrow.buffers()[1], np.int64, 2 * len(arrow), 16 * arrow.offset)
            return cls(np.ascontiguousarray(words[::2]), arrow.type.scale, reread)
        return cls(arrow.to_numpy(), 0, reread)

    def __len__(self) -> int:
        return len(self.values)

    def text(self) -> TextColumn:
        """Returns the column as the file's bytes (read back once)."""
        if self._text is None:
            self._text = self._reread()
        return self._text

    def raw(self, i: int) -> bytes:
        """Returns row ``i``'s bytes as written in the file."""
        return self.text().raw(i)

    def __getitem__(self, i):  # type: ignore[override]
        return self.text()[i]

    def tolist(self) -> list[str]:
        """Returns every value's text as written."""
        return self.text().tolist()

    def exact(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Returns (mantissa, fraction digits, status) as the exact scan gives them."""
        if self._exact is None:
            mant, frac = self.values.copy(), np.full(len(self.values), self.scale, np.int64)
            if self.scale:
                drop_trailing_zeros(mant, frac)
            self._exact = mant, frac, np.zeros(len(mant), np.uint8)
        return self._exact

    def decimals_needed(self, rows: int | None = None) -> int:
        """Returns the fewest decimals holding every value (of the first ``rows``)."""
        values = self.values[:rows]
        for needed in range(self.scale, 0, -1):
            if (values % 10 ** (self.scale - needed + 1)).any():
                return needed
        return 0

    def at_precision(self, precision: int) -> tuple[np.ndarray, np.ndarray | None]:
        """Returns (the values as raw int64 at ``precision``, None), or (anything, a mask of the
        values that need more decimals or overflow int64 at it)."""
        shift = precision - self.scale
        if shift == 0:
            return self.values, None
        if shift > 0:
            limit = _INT64_MAX // 10**shift
            bad = (self.values > limit) | (self.values < -limit)
            return (self.values, bad) if bad.any() else (self.values * 10**shift, None)
        whole, rest = np.divmod(self.values, 10**-shift)
        bad = rest != 0
        return (whole, bad) if bad.any() else (whole, None)
