"""The book kernels, ahead-of-time compiled when possible, else numba's JIT (same code).

:func:`book_kernels` returns a namespace with ``apply_l2``, ``apply_l3``, ``clear_l3``,
``rehash``, ``lookup``, ``volume_ahead`` and ``collect``: the functions of the module compiled
by :mod:`engines.aot` (a warm process never imports numba), or, when that is turned off or cannot
be built, the ``@njit`` dispatchers of ``_l2_apply`` / ``_l3_apply`` / ``_orders``. Callers pass
exactly the exported argument types (see :mod:`._aot`): the compiled functions do not check them.
"""

from __future__ import annotations

import functools
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from engines import aot

_HERE = Path(__file__).resolve().parent
#: every file the compiled kernels' code depends on (a change rebuilds the module)
SOURCES = tuple(_HERE / f for f in ("_layout.py", "_levels.py", "_orders.py", "_status.py",
                                    "_l2_apply.py", "_l3_apply.py", "_aot.py")) + (
    _HERE.parent / "jit.py",)
_NAMES = ("apply_l2", "apply_l3", "clear_l3", "rehash", "lookup", "volume_ahead", "collect")


@functools.cache
def book_kernels() -> Any:
    """Returns the compiled module, or the JIT namespace (see the module docstring)."""
    module = aot.load("ringbus_book_kernels", SOURCES, "engines.book._aot")
    return module if module is not None else jit_kernels()


def jit_kernels() -> SimpleNamespace:
    """Returns the numba JIT dispatchers under the exported names (imports numba)."""
    from engines.book import _l2_apply, _l3_apply, _orders

    found = {**vars(_orders), **vars(_l3_apply), **vars(_l2_apply)}
    return SimpleNamespace(**{name: found[name] for name in _NAMES})
