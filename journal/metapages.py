"""LMDB's two meta pages, read with ``pread`` (never through the memory map).

Design contract:
- ``read_meta_pages`` parses both meta pages of a ``data.mdb`` (LMDB 0.9 layout, 64-bit) and
  says of each whether it is sound: page number, P_META flag, magic, data version, page size,
  the free and main databases' flags, a last page inside the file and sub-database roots at or
  below it;
- ``meta_damage`` tells a damaged LMDB file (one meta page still carries LMDB's magic) from a
  file that is not LMDB at all, so damage is reported as a finding (exit 1) while a foreign
  file stays "not a journal" (exit 2);
- it never maps the file: a damaged size field cannot fault the process here.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

import attrs

MAGIC = 0xBEEFC0DE
DATA_VERSION = 1
P_META = 0x08
P_INVALID = (1 << 64) - 1
MDB_INTEGERKEY = 0x08  # the free DB's flags, always
PERSISTENT_FLAGS = 0x7E  # the flags a sub-database record may carry (LMDB's PERSISTENT_FLAGS)
_HEAD = struct.Struct("<QHH")  # mp_pgno, mp_pad, mp_flags
_MAGIC = struct.Struct("<II")  # mm_magic, mm_version (at byte 16)
_DB = struct.Struct("<IHHQQQQQ")  # md_pad, md_flags, md_depth, 4 counts, md_root (48 bytes)
_TAIL = struct.Struct("<QQ")  # mm_last_pg, mm_txnid (at byte 136)
_DBS_AT, _TAIL_AT = 40, 136


@attrs.frozen
class MetaPage:
    """One meta page: ``problem`` is None when it is sound."""

    index: int
    txnid: int
    last_pgno: int
    problem: str | None
    has_magic: bool


def read_meta_pages(data: Path) -> list[MetaPage]:
    """Returns both meta pages of ``data`` (fewer when the file is shorter than a page)."""
    size = data.stat().st_size
    with open(data, "rb", buffering=0) as f:
        first = os.pread(f.fileno(), 160, 0)
        if len(first) < 160:
            return []
        psize = _DB.unpack_from(first, _DBS_AT)[0]  # the free DB's md_pad holds the page size
        if psize < 512 or psize > 65536 or psize & (psize - 1):
            psize = os.sysconf("SC_PAGE_SIZE")  # LMDB's default: the OS page size
        second = os.pread(f.fileno(), 160, psize)
        if len(second) == 160 and _DB.unpack_from(second, _DBS_AT)[0] != psize:
            other = _DB.unpack_from(second, _DBS_AT)[0]
            if other == os.sysconf("SC_PAGE_SIZE"):  # meta 0's field is the damaged one
                psize = other
        pages = [first, os.pread(f.fileno(), 160, psize)]
    return [_parse(i, raw, psize, size) for i, raw in enumerate(pages) if len(raw) == 160]


def _parse(index: int, raw: bytes, psize: int, file_size: int) -> MetaPage:
    pgno, _, flags = _HEAD.unpack_from(raw, 0)
    magic, version = _MAGIC.unpack_from(raw, 16)
    last_pgno, txnid = _TAIL.unpack_from(raw, _TAIL_AT)
    roots = [_DB.unpack_from(raw, _DBS_AT + 48 * k)[7] for k in range(2)]
    own_psize = _DB.unpack_from(raw, _DBS_AT)[0]
    db_flags = [_DB.unpack_from(raw, _DBS_AT + 48 * k)[1] for k in range(2)]
    problem = None
    if magic != MAGIC:
        problem = f"bad magic {magic:#010x}"
    elif pgno != index or flags != P_META:
        problem = f"page header says page {pgno} flags {flags:#x}"
    elif version != DATA_VERSION:
        problem = f"LMDB data version {version}"
    elif own_psize != psize:
        problem = f"page size field {own_psize}, the file's pages are {psize} bytes"
    elif db_flags[0] != MDB_INTEGERKEY or db_flags[1] & ~PERSISTENT_FLAGS:
        problem = f"sub-database flags {db_flags[0]:#x}/{db_flags[1]:#x}"
    elif (last_pgno + 1) * psize > file_size:
        problem = f"last page {last_pgno} lies beyond the file's {file_size // psize} pages"
    elif any(root != P_INVALID and root > last_pgno for root in roots):
        problem = f"a sub-database root {max(roots)} lies beyond its last page {last_pgno}"
    return MetaPage(index, txnid, last_pgno, problem, magic == MAGIC)


def meta_damage(data: Path) -> str | None:
    """Returns a description of the damage when ``data`` is an LMDB file (a meta page carries
    LMDB's magic) with a meta page that LMDB would refuse or misread; None when both are sound
    or when the file is not LMDB at all."""
    try:
        metas = read_meta_pages(data)
    except OSError:
        return None
    if not any(m.has_magic for m in metas):
        return None
    bad = [m for m in metas if m.problem is not None]
    if len(metas) < 2:
        return "the second meta page is missing"
    if not bad:
        return None
    if len(bad) == len(metas) and all(m.problem.startswith("last page") for m in bad):
        return None  # every meta reaches past the end: a truncated file, not a damaged page
    used = max(metas, key=lambda m: m.txnid)  # LMDB opens the meta of the higher txnid
    unused_only = used.problem is None and all(
        m.problem.startswith(("last page", "a sub-database")) for m in bad)
    if unused_only:
        return None  # fields of the older meta that LMDB does not read
    return "; ".join(f"LMDB meta page {m.index}: {m.problem}" for m in bad)
