"""Running one function over many small task descriptions, in order, with progress."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from replay.dist.progress import TaskProgress

T = TypeVar("T")
R = TypeVar("R")


def map_tasks(fn: Callable[[T], R], items: Sequence[T], keys: Sequence[str],
              client: Any = None, *, retries: int = 2, progress: TaskProgress | None = None,
              on_result: Callable[[int, R], None] | None = None) -> list[R]:
    """Returns ``[fn(item) for item in items]``, computed on ``client``'s workers (or here
    when ``client`` is None).

    ``keys`` name the tasks on the scheduler (unique, stable: a task's key comes from what it
    computes, never from a counter of this process). ``on_result(i, result)`` is called as each
    task completes, in completion order. An exception a task raised after its retries is
    re-raised once the others are done or cancelled."""
    if len(keys) != len(items) or len(set(keys)) != len(keys):
        raise ValueError(f"keys must be unique, one per item: {len(items)} items, "
                         f"{len(set(keys))} distinct keys of {len(keys)}")
    bar = progress or TaskProgress(len(items), enabled=False)
    results: list[Any] = [None] * len(items)
    if client is None:
        try:
            for i, item in enumerate(items):
                bar.update(done=i, running=1)
                results[i] = fn(item)
                if on_result is not None:
                    on_result(i, results[i])
            bar.update(done=len(items), running=0)
        finally:
            bar.close()
        return results
    from distributed import as_completed

    futures = [client.submit(fn, item, key=key, pure=False, retries=retries)
               for item, key in zip(items, keys, strict=True)]
    index = {f.key: i for i, f in enumerate(futures)}
    threads = sum(client.nthreads().values()) if bar.enabled else 0
    done = 0
    try:
        for future in as_completed(futures):
            i = index[future.key]
            results[i] = future.result()
            done += 1
            if on_result is not None:
                on_result(i, results[i])
            if bar.enabled:
                bar.update(done=done, running=_running(client, index, threads))
            else:
                bar.update(done=done, running=0)
    except BaseException:
        client.cancel(futures)
        raise
    finally:
        bar.close()
    return results


def _running(client: Any, keys: dict[Any, int], threads: int) -> int:
    """Returns how many of ``keys`` the workers are executing now: those the scheduler has
    handed to workers, at most one per worker thread (one scheduler round trip; for the
    progress line only)."""
    try:
        processing = client.processing()
    except Exception:  # a progress figure never fails the job
        return 0
    return min(threads, sum(1 for tasks in processing.values() for key in tasks if key in keys))
