"""pyarrow and its CSV reader for the loaders, imported without the cloudpickle it discards.

Design contract:
- ``pa`` is the ``pyarrow`` module and ``pacsv`` its ``pyarrow.csv``; loaders import them from
  here, so the first import of pyarrow in a loading process is this one;
- ``pyarrow.lib`` runs ``import cloudpickle as pickle`` when cloudpickle is installed, then
  rebinds ``pickle`` to the standard library's (its ``io.pxi`` and ``types.pxi`` import
  ``pickle``): ``pyarrow.lib.pickle`` is the standard module either way, and cloudpickle (with
  the ``logging``, ``dataclasses`` and ``uuid`` it imports) only costs about 4 ms of every CSV
  command's start-up. While pyarrow first loads here, ``import cloudpickle`` fails (its
  ``sys.modules`` entry is None), so pyarrow takes the standard module at once; the entry is
  removed afterwards, and a process that loaded pyarrow or cloudpickle before is left as it is
  (tests/unit/test_cli_startup.py holds ``pyarrow.lib.pickle`` to the standard module).
"""

from __future__ import annotations

import sys
from types import ModuleType


def _pyarrow_without_cloudpickle() -> ModuleType:
    if "pyarrow" in sys.modules or "cloudpickle" in sys.modules:
        import pyarrow

        return pyarrow
    sys.modules["cloudpickle"] = None  # type: ignore[assignment]  # import raises ImportError
    try:
        import pyarrow
    finally:
        del sys.modules["cloudpickle"]
    return pyarrow


pa = _pyarrow_without_cloudpickle()

import pyarrow.csv as pacsv  # noqa: E402  (after pyarrow itself is loaded above)

__all__ = ["pa", "pacsv"]
