"""numba stays off the start-up path: a backtest without an order book never imports it, a book
runs its ahead-of-time compiled kernels (engines.aot) without numba, and a process that does
import numba (engines.jit) does not pay for its eager scipy.linalg import."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

from engines import aot as aot_module
from tests.unit.test_aot_kernels import build_all


def _run(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_a_quotes_backtest_and_the_books_import_no_numba(tmp_path):
    csv = tmp_path / "audusd.csv"
    csv.write_text("timestamp,bid,ask\n1,0.70000,0.70010\n2,0.70001,0.70011\n")
    code = (
        "import sys\n"
        "from replay.backtest import BacktestNode\n"
        "from replay.config import BacktestConfig, DataConfig, StrategyConfig\n"
        "from engines.book import L2Book, L3Book\n"
        "L2Book(1); L3Book(1)\n"
        f"run = BacktestNode(BacktestConfig(data=[DataConfig({str(csv)!r})], "
        f"journal={str(tmp_path / 'j')!r}, strategies=[StrategyConfig('noop')])).run()\n"
        "print(run.n_records > 2, 'numba' in sys.modules)"
    )
    assert _run(code) == "True False"


@pytest.mark.parametrize("aot", ["1", "0"])
def test_a_book_loads_its_kernels_when_it_first_applies(aot, monkeypatch):
    """Compiled ahead of time (engines.aot): no numba at all; with RINGBUS_AOT=0: numba's JIT."""
    monkeypatch.setenv("RINGBUS_AOT", aot)
    code = (
        "import sys\n"
        "import numpy as np\n"
        "from engines.book import L3Book, book_deltas\n"
        "from engines.book.kernels import book_kernels\n"
        "book = L3Book(7)\n"
        "before = 'numba' in sys.modules\n"
        "book.apply(book_deltas(7, np.array([1]), np.array([1]), np.array([100]), np.array([5]),"
        " np.array([42])))\n"
        "compiled = type(book_kernels()).__name__ == 'module'\n"
        "print(before, compiled, 'numba' in sys.modules, book.best_bid(), book.volume_ahead(42))"
    )
    compiled = aot == "1" and build_all()  # built here first: the child only loads it
    out = _run(code)
    if compiled:
        assert out == "False True False (100, 5) 0"
    else:  # turned off, or no C compiler to build with: numba's JIT, same answers
        assert aot == "0" or not aot_module.has_c_compiler()
        assert out == "False False True (100, 5) 0"


@pytest.mark.skipif(importlib.util.find_spec("scipy") is None, reason="scipy not installed")
def test_engines_jit_leaves_scipy_linalg_until_a_kernel_needs_blas():
    code = (
        "import sys\n"
        "import numpy as np\n"
        "from engines.jit import njit\n"
        "import numba.np.arraymath as am\n"
        "loaded = 'scipy.linalg' in sys.modules\n"
        "@njit\n"
        "def dot(a, b):\n"
        "    return np.dot(a, b)\n"
        "print(loaded, am._HAVE_BLAS, dot(np.ones(3), np.arange(3.0)), 'scipy.linalg' in sys.modules)"
    )
    assert _run(code) == "False True 3.0 True"


def test_engines_jit_imports_numba_as_usual_when_scipy_linalg_is_loaded():
    pytest.importorskip("scipy.linalg")
    code = (
        "import sys, scipy.linalg\n"
        "from engines.jit import njit\n"
        "import numba.np.arraymath as am\n"
        "print(am._HAVE_BLAS, sys.modules.get('scipy.linalg.cython_blas') is not None)"
    )
    assert _run(code) == "True True"
