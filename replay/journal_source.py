"""A recorded journal (``ringbus record``) read back as a backtest data source.

Design contract: :func:`replay.backtest_data.open_source` takes the journal's market-data INPUT records
(QUOTE, TRADE, BAR, BOOK_DELTA with the INPUT flag) of one instrument — the config's
``instrument_id`` (``--instrument``), or the only one the journal holds, else refused naming
them — named by the journal's STRING records; it streams them in chunks (copies, ``seq``
cleared: the ring stamps it; ``ts_init`` kept: the recording's receipt times) and reads the
first chunk before the run starts. The source has the interface of
:class:`replay.backtest_data.DataSource` (``format`` is ``"journal"``; L2 when the first
chunk holds L2 book deltas).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from domain.enums import BookLevel, RecordFlag
from domain.kinds import Kind

_MARKET = (Kind.QUOTE, Kind.TRADE, Kind.BAR, Kind.BOOK_DELTA)
_HEAD = np.dtype({"names": ["instrument_id", "price_precision", "size_precision"],
                  "formats": ["<u4", "u1", "u1"], "offsets": [40, 44, 45], "itemsize": 128})
_LEVEL = np.dtype({"names": ["level"], "formats": ["u1"], "offsets": [48], "itemsize": 128})


def is_journal(path: str | Path) -> bool:
    """True if ``path`` is a directory holding an LMDB journal."""
    return (Path(path) / "data.mdb").is_file()


def _market(batch: np.ndarray, iid: int | None) -> np.ndarray:
    keep = np.isin(batch["kind"], _MARKET) & ((batch["flags"] & RecordFlag.INPUT) != 0)
    if iid is not None:
        keep &= batch.view(_HEAD)["instrument_id"] == iid
    return batch[keep]


def journal_instruments(path: str) -> dict[str, int]:
    """``{symbol: string id}`` of the instruments the journal's market data names."""
    from journal.reader import JournalReader
    from journal.store import Journal
    from replay.testing.pretty import strings_until

    ids: set[int] = set()
    with Journal.open(path, readonly=True) as journal:
        reader = JournalReader(journal)
        for batch in reader.batches():
            ids.update(np.unique(_market(batch, None).view(_HEAD)["instrument_id"]).tolist())
        strings = strings_until(reader, reader.last_seq())
    return {strings.get(i, f"#{i}"): i for i in sorted(ids)}


def iter_journal_market_data(path: str, iid: int) -> Iterator[np.ndarray]:
    """Yields instrument ``iid``'s market-data INPUT records (copies, seq 0) in chunks."""
    from replay.catalog_source import iter_catalog_records

    for chunk in iter_catalog_records(path):
        got = _market(chunk, iid)
        if len(got):
            yield got


def head_of(first: np.ndarray) -> tuple[int, int, BookLevel]:
    """(price precision, size precision, book level) of a stream's first chunk: L2 / L3 when it
    holds book deltas of that level, else L1."""
    head = first.view(_HEAD)
    deltas = first["kind"] == Kind.BOOK_DELTA
    level = BookLevel(int(first.view(_LEVEL)["level"][deltas][0])) if deltas.any() \
        else BookLevel.L1
    return int(head["price_precision"][0]), int(head["size_precision"][0]), level
