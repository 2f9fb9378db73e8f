"""numba's ``njit`` for ringbus kernels, imported without numba's eager ``scipy.linalg`` import.

Every ringbus numba kernel imports ``njit`` from here. numba decides once, when its array
implementations (``numba.np.arraymath``) are first imported, whether BLAS is available by importing
``scipy.linalg.cython_blas``; with scipy installed that import alone costs 0.2-0.5 s of every
process's first kernel call, although no ringbus kernel uses BLAS. Here that module is hidden
from numba's first import (so the check fails fast), then numba's flag is set to what the check
would have found (scipy installed or not). numba's behaviour is unchanged: a jitted ``np.dot`` /
``np.correlate`` still imports scipy, when it is compiled. Nothing else of numba is touched, and a
process where scipy.linalg is already loaded imports numba as usual.
"""

from __future__ import annotations

import importlib.util
import sys

_BLAS = "scipy.linalg.cython_blas"


def _import_numba() -> None:
    if "numba.np.arraymath" in sys.modules or _BLAS in sys.modules:
        return
    sys.modules[_BLAS] = None  # type: ignore[assignment]  # makes the import fail at once
    try:
        import numba.np.arraymath as arraymath
    finally:
        if sys.modules.get(_BLAS, 0) is None:
            del sys.modules[_BLAS]
    arraymath._HAVE_BLAS = importlib.util.find_spec("scipy") is not None


_import_numba()

from numba import njit  # noqa: E402

__all__ = ["njit"]
