"""Helpers of the journal damage tests: LMDB page layout (read, never mapped), a backtest
journal with runs, and running a reading command as a subprocess with its outcome."""

from __future__ import annotations

import os
import signal
import struct
import subprocess
import sys
from pathlib import Path

import attrs

from journal import format as fmt
from journal.metapages import read_meta_pages

ROOT = Path(__file__).resolve().parents[2]
PAGE = 4096
P_BRANCH, P_LEAF, P_OVERFLOW = 0x01, 0x02, 0x04
F_BIGDATA = 0x01


def tree_pages(blob: bytes) -> list[int]:
    """Returns the numbers of the B-tree (branch and leaf) pages of a data.mdb image."""
    out = []
    for page in range(2, len(blob) // PAGE):
        at = page * PAGE
        pgno, _, flags = struct.unpack_from("<QHH", blob, at)
        if pgno == page and flags & (P_BRANCH | P_LEAF) and not flags & P_OVERFLOW:
            out.append(page)
    return out


def leaf_nodes(blob: bytes, page: int) -> list[tuple[int, int, int, bytes]]:
    """Returns ``(node offset in the file, node flags, data size, key)`` of a leaf page."""
    at = page * PAGE
    lower = struct.unpack_from("<H", blob, at + 12)[0]
    nodes = []
    for i in range((lower - 16) // 2):
        ptr = struct.unpack_from("<H", blob, at + 16 + 2 * i)[0]
        lo, hi, flags, ksize = struct.unpack_from("<HHHH", blob, at + ptr)
        nodes.append((at + ptr, flags, lo | hi << 16, bytes(blob[at + ptr + 8 : at + ptr + 8 + ksize])))
    return nodes


def records_leaf_nodes(blob: bytes) -> list[tuple[int, int, int, bytes]]:
    """Returns the nodes of the live leaf page of ``records`` (F_BIGDATA values, 8-byte keys),
    the one with the most such nodes."""
    best: list = []
    for page in tree_pages(blob):
        if struct.unpack_from("<H", blob, page * PAGE + 10)[0] & P_LEAF:
            nodes = [n for n in leaf_nodes(blob, page) if len(n[3]) == 8 and n[1] & F_BIGDATA]
            if len(nodes) > len(best):
                best = nodes
    return best


def lower_newest_txnid(data: Path) -> None:
    """Lowers the txnid of the newest meta page below the other's: LMDB opens the older one."""
    metas = read_meta_pages(data)
    newest = max(metas, key=lambda m: m.txnid)
    other = min(metas, key=lambda m: m.txnid)
    blob = bytearray(data.read_bytes())
    struct.pack_into("<Q", blob, newest.index * PAGE + 144, other.txnid - 1)
    data.write_bytes(bytes(blob))


def xor_byte(data: Path, offset: int, mask: int) -> None:
    blob = bytearray(data.read_bytes())
    blob[offset] ^= mask
    data.write_bytes(bytes(blob))


@attrs.frozen
class Outcome:
    returncode: int
    stdout: str
    stderr: str

    @property
    def died_by_signal(self) -> bool:
        return self.returncode < 0

    @property
    def traceback(self) -> bool:
        return "Traceback" in self.stderr or "Traceback" in self.stdout


def ringbus(*args: str, timeout: float = 60) -> Outcome:
    """Runs ``python -m replay.cli ARGS`` (the real program: reading commands isolated)."""
    proc = subprocess.run([sys.executable, "-m", "replay.cli", *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=timeout,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    return Outcome(proc.returncode, proc.stdout, proc.stderr)


def tail_all(journal: Path, last_seq: int, timeout: float = 20) -> Outcome:
    """Runs ``ringbus tail --from-seq 1`` until it prints ``last_seq`` or exits, then SIGTERM."""
    proc = subprocess.Popen([sys.executable, "-m", "replay.cli", "tail", str(journal),
                             "--from-seq", "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    lines = []
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append(line)
        if line.startswith(f"{last_seq} "):
            proc.send_signal(signal.SIGTERM)
            break
    try:
        rest, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        rest, err = proc.communicate()
    return Outcome(proc.returncode, "".join(lines) + rest, err)


def demo_journal(path: Path) -> Path:
    """Writes the backtest of the bundled demo data (ema_cross, runs and manifest) at ``path``."""
    from replay.backtest import BacktestNode
    from replay.config import BacktestConfig, DataConfig, StrategyConfig

    data = ROOT / "replay" / "demo_data" / "eurusd-histdata-20200101.csv.gz"
    config = BacktestConfig(strategies=[StrategyConfig("ema_cross")],
                            data=[DataConfig(path=str(data))], journal=str(path))
    BacktestNode(config).run()
    assert (path / fmt.DATA_FILE).is_file()
    return path
