"""Opening the Dask client of a job: a local cluster, a remote scheduler, or none."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

#: seconds to wait for a scheduler or the local workers to come up
CONNECT_TIMEOUT_S = 60


class DistUnavailable(RuntimeError):
    """Dask's distributed scheduler is needed but not installed."""


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise DistUnavailable(
            "a cluster needs dask's distributed scheduler: pip install 'ringbus[dist]' "
            "(or run sequentially with --workers 0)") from None
    return distributed


@contextmanager
def open_client(scheduler: str | None = None, workers: int | None = None) -> Iterator[Any]:
    """Yields a ``distributed.Client``, or None when ``workers == 0`` and no scheduler is named.

    ``scheduler`` (``tcp://host:8786``) connects to a running cluster, which keeps running
    afterwards; otherwise a ``LocalCluster`` of ``workers`` processes (default: the CPU count),
    one thread each, bound to 127.0.0.1 with no dashboard, is started and closed on exit."""
    if scheduler is None and workers == 0:
        yield None
        return
    if workers is not None and workers < 0:
        raise ValueError(f"workers must be >= 0, got {workers}")
    distributed = _distributed()
    if scheduler is not None:
        with distributed.Client(scheduler, timeout=CONNECT_TIMEOUT_S) as client:
            yield client
        return
    import os

    n = workers or os.cpu_count() or 1
    with distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address="127.0.0.1:0",
                                  silence_logs=40) as cluster, \
            distributed.Client(cluster, timeout=CONNECT_TIMEOUT_S) as client:
        yield client
