"""The ahead-of-time compiled kernels (engines.aot) give numba's JIT answers, and a warm process
running them never imports numba."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engines import aot

ES = "esh4-glbx-mdp3-20231225.mbo.dbn.zst"

# An L3 book (tiny capacities: the pool and level arrays grow, the map rehashes) over the real ES
# file, plus an L2 book over a synthetic stream; every kernel the books and the DBN loader call.
BOOKS = """
import hashlib, json, sys
import numpy as np
from engines.book import L2Book, L3Book, book_deltas
from engines.book.kernels import book_kernels
from replay.loaders.dbn import load_dbn
es = load_dbn(sys.argv[1], 17077)
book = L3Book(17077, order_capacity=16, level_capacity=4)
crossed = [book.apply_checked(es[i:i + 5000]).tolist() for i in range(0, len(es), 5000)]
ids = book.orders()["order_id"][::97]
queue = [book.volume_ahead(int(i)) for i in ids] + [str(book.order(int(ids[-1])))]
snap = book.snapshot()
rng = np.random.default_rng(7)
n = 20_000
l2 = L2Book(9, level_capacity=2)
act = rng.integers(1, 8, n)
act[act == 4] = 1  # one CLEAR, in the middle
act[n // 2] = 4
l2d = book_deltas(9, act, rng.integers(0, 4, n), rng.integers(90, 130, n),
                  rng.integers(-1, 50, n), level=2, last=rng.random(n) < 0.3)
l2_crossed = l2.apply_checked(l2d).tolist()
book.clear()
print(json.dumps({
    "compiled": type(book_kernels()).__name__ == "module",
    "numba": "numba" in sys.modules,
    "records": hashlib.sha256(es.tobytes()).hexdigest(),
    "l3": {k: hashlib.sha256(np.ascontiguousarray(v).tobytes()).hexdigest()
           for k, v in snap.items()},
    "l2": {k: v.tolist() for k, v in l2.snapshot().items()},
    "crossed": crossed, "l2_crossed": l2_crossed, "queue": queue,
    "after_clear": [book.n_orders, book.best_bid(), book.n_applied]}))
"""


def _books(es: Path, aot_on: str) -> dict:
    env = {**os.environ, "RINGBUS_AOT": aot_on}
    out = subprocess.run([sys.executable, "-c", BOOKS, str(es)], capture_output=True, text=True,
                         check=True, env=env)
    return json.loads(out.stdout)


def build_all() -> bool:
    """Builds the book and DBN modules in this process if not yet built; True if both load."""
    from engines.book.kernels import SOURCES
    from replay.loaders.dbn_mbo import _SOURCES

    return (aot.load("ringbus_book_kernels", SOURCES, "engines.book._aot") is not None
            and aot.load("ringbus_dbn_kernels", _SOURCES, "replay.loaders._dbn_mbo_kernel")
            is not None)


needs_c_compiler = pytest.mark.skipif(not aot.has_c_compiler(),
                                      reason="no C compiler: the kernels stay under numba's JIT")


@needs_c_compiler
def test_compiled_and_jit_kernels_build_the_same_books_from_the_es_file(shared_data):
    assert build_all()
    compiled, jit = _books(shared_data / ES, "1"), _books(shared_data / ES, "0")
    assert (compiled["compiled"], compiled["numba"]) == (True, False)
    assert (jit["compiled"], jit["numba"]) == (False, True)
    for key in ("records", "l3", "l2", "crossed", "l2_crossed", "queue", "after_clear"):
        assert compiled[key] == jit[key], key
    assert len(compiled["l2"]["bid_key"]) > 2 and compiled["l2_crossed"]
    assert any(compiled["crossed"]) and compiled["after_clear"][:2] == [0, None]


def test_a_book_refuses_a_batch_the_kernels_cannot_take():
    from engines.book import L3Book, book_deltas

    book = L3Book(1)
    with pytest.raises(TypeError, match="1-D"):
        book.apply(book_deltas(1, [1, 1], [1, 1], [100, 101], [5, 5], [1, 2]).reshape(1, 2))
    with pytest.raises(TypeError, match="dtype"):
        book.apply(np.zeros(2, np.int64))
    strided = book_deltas(1, [1, 1, 1], [1, 1, 1], [100, 101, 102], [5, 5, 5], [1, 2, 3])[::2]
    book.apply(strided)  # a strided batch is copied to a contiguous one, not misread
    assert book.n_orders == 2 and book.best_bid() == (102, 5)


def test_the_module_key_follows_the_sources(tmp_path):
    src = tmp_path / "k.py"
    src.write_text("x = 1\n")
    before = aot.module_key([src])
    assert aot.module_key([src]) == before
    src.write_text("x = 2\n")
    assert aot.module_key([src]) != before


def test_a_failed_build_is_recorded_once_and_leaves_the_jit(tmp_path, monkeypatch):
    pkg = tmp_path / "src"
    pkg.mkdir()
    (pkg / "bad_kernels.py").write_text(
        "def exports():\n    raise RuntimeError('no kernels here')\n")
    monkeypatch.syspath_prepend(str(pkg))
    monkeypatch.setenv("RINGBUS_KERNEL_CACHE", str(tmp_path / "cache"))
    sources = [pkg / "bad_kernels.py"]
    assert aot.load("bad_kernels_mod", sources, "bad_kernels") is None
    failed = aot.module_path("bad_kernels_mod", sources)
    marker = failed.with_name(failed.name + ".failed")
    assert marker.read_text() == "RuntimeError: no kernels here\n"
    marker.write_text("kept\n")
    assert aot.load("bad_kernels_mod", sources, "bad_kernels") is None
    assert marker.read_text() == "kept\n"  # not built again


def test_a_damaged_module_file_is_refused_and_leaves_the_jit(tmp_path, monkeypatch):
    monkeypatch.setenv("RINGBUS_KERNEL_CACHE", str(tmp_path))
    from engines.book.kernels import SOURCES

    path = aot.module_path("ringbus_book_kernels", SOURCES)
    path.write_bytes(b"not a shared object")
    assert aot.load("ringbus_book_kernels", SOURCES, "engines.book._aot") is None
    assert path.with_name(path.name + ".failed").read_text().startswith("ImportError: ")


def test_turned_off_it_neither_builds_nor_loads(tmp_path, monkeypatch):
    monkeypatch.setenv("RINGBUS_AOT", "0")
    monkeypatch.setenv("RINGBUS_KERNEL_CACHE", str(tmp_path))
    from engines.book.kernels import SOURCES

    assert aot.load("ringbus_book_kernels", SOURCES, "engines.book._aot") is None
    assert list(tmp_path.iterdir()) == []
