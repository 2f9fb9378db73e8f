"""The Dask layer's pieces that need no cluster: ordered in-process task maps, per-thread
output capture, and the many-journal exit code."""

from __future__ import annotations

import sys
import threading

import pytest

from replay.dist import map_tasks
from replay.dist.capture import captured
from replay.dist.journals import aggregate_exit


def test_map_tasks_in_process_returns_results_in_task_order_and_reports_each() -> None:
    seen = []
    out = map_tasks(lambda x: x * x, [3, 1, 2], ["a", "b", "c"],
                    on_result=lambda i, r: seen.append((i, r)))
    assert out == [9, 1, 4] and seen == [(0, 9), (1, 1), (2, 4)]


def test_map_tasks_refuses_missing_or_repeated_keys() -> None:
    with pytest.raises(ValueError, match="keys must be unique, one per item"):
        map_tasks(str, [1, 2], ["k", "k"])
    with pytest.raises(ValueError, match="keys must be unique, one per item"):
        map_tasks(str, [1, 2], ["k"])


def test_each_thread_captures_only_its_own_output() -> None:
    barrier = threading.Barrier(2)
    got: dict[str, tuple[str, str]] = {}

    def work(name: str) -> None:
        with captured() as out:
            barrier.wait()
            for _ in range(200):
                print(name, end="")
                sys.stderr.write(name.upper())
            barrier.wait()
        got[name] = (out["stdout"].getvalue(), out["stderr"].getvalue())

    threads = [threading.Thread(target=work, args=(n,)) for n in "ab"]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert got == {"a": ("a" * 200, "A" * 200), "b": ("b" * 200, "B" * 200)}


@pytest.mark.parametrize("codes, expected", [
    ([0, 0], 0), ([0, 2], 2), ([0, 1, 2], 1), ([1], 1), ([], 0)])
def test_the_aggregate_exit_is_1_on_any_finding_else_2_on_any_unreadable(
        codes: list[int], expected: int) -> None:
    assert aggregate_exit(codes) == expected


def test_the_progress_line_shows_tasks_done_and_running_on_a_tty_only() -> None:
    import io

    from replay.dist.progress import TaskProgress

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty, pipe = Tty(), io.StringIO()
    bar = TaskProgress(3, stream=tty)
    bar._bar = None  # the built-in line, whether or not tqdm is installed
    map_tasks(str, [1, 2, 3], ["a", "b", "c"], progress=bar)
    assert "\rpoints: 0/3 done, 1 running" in tty.getvalue()
    assert tty.getvalue().endswith("\rpoints: 3/3 done, 0 running\n")
    map_tasks(str, [1, 2, 3], ["a", "b", "c"], progress=TaskProgress(3, stream=pipe))
    assert pipe.getvalue() == ""
