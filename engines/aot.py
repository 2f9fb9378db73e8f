"""numba kernels compiled ahead of time into an extension module: no numba in a warm process.

A process that calls a ``@njit(cache=True)`` kernel pays for ``import numba`` and numba's CPU
target initialisation (about 0.35-0.45 s of CPU together) before the first cached kernel runs,
however small the job. :func:`load` instead compiles a set of kernels once with
``numba.pycc`` into a CPython extension module, kept in a cache directory, and later processes
import that module (under a millisecond); numba is imported only to build it.

Contract:
- the module's file name holds a key hashing the kernels' source files, the numba / llvmlite /
  numpy / Python versions and the platform: an edited kernel or an upgraded numba gets a new
  module, a stale one is never loaded;
- code is generated for the generic CPU of the architecture (``pycc``'s default), so a cache
  shared between machines never runs instructions a CPU lacks;
- the compiled functions do not check their arguments' types (a wrong dtype or layout is
  undefined behaviour): callers pass only arrays of the exported dtypes, dimensions and layouts;
- building needs a C compiler; if the build (or the import of what it built) fails,
  ``<module>.failed`` records why, :func:`load` returns None and the caller keeps numba's JIT
  (same kernels, same results), and that key is not tried again;
- ``RINGBUS_AOT=0`` turns it off (numba's JIT everywhere); ``RINGBUS_KERNEL_CACHE`` sets the
  directory (default ``$XDG_CACHE_HOME/ringbus/kernels``, else ``~/.cache/ringbus/kernels``).
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

#: the module this one imports to list a kernel set's exports (name, dispatcher, signature)
EXPORTS_FUNCTION = "exports"
_SUFFIX = importlib.machinery.EXTENSION_SUFFIXES[0]
_VERSION_FILES = (("numba", "_version.py"), ("llvmlite", "_version.py"))


def enabled() -> bool:
    """True unless ``RINGBUS_AOT=0``."""
    return os.environ.get("RINGBUS_AOT", "1") != "0"


def has_c_compiler() -> bool:
    """True when the C compiler Python was built with (what ``numba.pycc`` uses) is on PATH."""
    import shutil
    import sysconfig

    cc = sysconfig.get_config_var("CC") or "cc"
    return shutil.which(cc.split()[0]) is not None


def cache_dir() -> Path:
    """Returns where compiled kernel modules are kept."""
    explicit = os.environ.get("RINGBUS_KERNEL_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "ringbus" / "kernels"


def _package_file(package: str, name: str) -> bytes:
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        return b"-"
    path = Path(spec.origin).parent / name
    return path.read_bytes() if path.exists() else b"-"


def module_key(sources: Sequence[Path]) -> str:
    """Returns the hash naming a build of ``sources`` with this numba, numpy and Python."""
    import numpy as np

    h = hashlib.sha256()
    for part in (sys.version, sys.platform, _SUFFIX, np.__version__, Path(__file__).read_bytes(),
                 *(_package_file(p, f) for p, f in _VERSION_FILES)):
        h.update(part.encode() if isinstance(part, str) else part)
        h.update(b"\0")
    for path in sources:
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:20]


def module_path(name: str, sources: Sequence[Path]) -> Path:
    """Returns the file the compiled module ``name`` of ``sources`` lives in."""
    return cache_dir() / f"{name}-{module_key(sources)}{_SUFFIX}"


def load(name: str, sources: Sequence[Path], exports_module: str) -> ModuleType | None:
    """Returns the compiled module ``name`` (building it first if needed), or None when turned
    off or when it cannot be built. ``exports_module``'s :data:`EXPORTS_FUNCTION` lists the
    kernels; ``sources`` are every file their code depends on."""
    if not enabled():
        return None
    path = module_path(name, sources)
    if not path.exists():
        if _failed(path).exists():
            return None
        try:
            build(name, exports_module, path)
        except Exception as exc:  # no C compiler, a numba without pycc, ...: keep the JIT
            path.parent.mkdir(parents=True, exist_ok=True)
            _failed(path).write_text(f"{type(exc).__name__}: {exc}\n")
            return None
    try:
        return _import(name, path)
    except ImportError as exc:  # e.g. a damaged file: never retried under this key
        _failed(path).write_text(f"{type(exc).__name__}: {exc}\n")
        return None


def _import(name: str, path: Path) -> ModuleType:
    loader = importlib.machinery.ExtensionFileLoader(name, str(path))
    spec = importlib.util.spec_from_file_location(name, path, loader=loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def _failed(path: Path) -> Path:
    return path.with_name(path.name + ".failed")


def build(name: str, exports_module: str, path: Path) -> None:
    """Compiles the exports of ``exports_module`` into the extension module ``path`` (written
    under a temporary name and renamed, so concurrent builds never expose a partial file)."""
    import importlib
    import warnings

    with warnings.catch_warnings():  # numba.pycc is "pending deprecation" since numba 0.57
        warnings.simplefilter("ignore")
        from numba.pycc import CC

    module = importlib.import_module(exports_module)
    cc = CC(name, source_module=module)
    # numba's C runtime helpers linked into every module: built at -O1 without debug info (about
    # 1.7 s instead of 6 s; the kernels themselves are optimised by numba's LLVM, not by this)
    cc._extra_cflags = {"posix": ["-O1", "-g0"]}
    for export, dispatcher, signature in getattr(module, EXPORTS_FUNCTION)():
        cc.export(export, signature)(dispatcher.py_func)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=f".{name}-") as tmp:
        cc.output_dir = tmp
        cc.output_file = path.name
        cc.compile()
        os.replace(Path(tmp) / path.name, path)
