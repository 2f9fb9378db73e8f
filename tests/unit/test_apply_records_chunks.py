"""``apply_records`` publishes a stored batch larger than the ring in pieces (issue 19): a
journal written in batches of thousands of records folds into a kernel whose ring holds 1 024,
every record in order."""

from __future__ import annotations

from pathlib import Path

from engines.kernel import Kernel
from journal.reader import JournalReader
from journal.store import Journal
from journal.synth import write_quotes
from replay.rebuild import apply_records
from tests.unit.kernel_rig import Tape


def test_a_stored_batch_larger_than_the_ring_is_applied_in_pieces(tmp_path: Path):
    written = write_quotes(tmp_path / "j", 12_000, chunk=5_000)
    tape = Tape()
    kernel = Kernel(capacity=1 << 10, mode="rebuild", journal=tape)
    with Journal.open(tmp_path / "j") as journal:
        reader = JournalReader(journal)
        assert max(len(b) for b in reader.batches(1)) > 1 << 10  # stored batches outgrow it
        assert apply_records(kernel, reader, 1, len(written)) == len(written)
    assert kernel.last_seq == len(written)
    assert tape.records().tobytes() == written.tobytes()
