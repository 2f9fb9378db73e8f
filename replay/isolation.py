"""Running a command that reads a possibly damaged journal in a child process.

Design contract:
- ``run_isolated(name, body, json_errors)`` forks; the child runs ``body()`` and exits with
  its code, and the parent returns that code: output, exit codes and Ctrl-C behave as if
  ``body`` ran in the parent;
- LMDB maps the journal: a damaged size field on one of its pages makes it hand out a view
  that reaches past the end of the file, and touching it kills the process (SIGBUS or
  SIGSEGV) before Python can raise. A child dying by such a signal becomes exit 1 with
  ``journal structure damaged after seq N``, N being the last seq any reader of the child
  checked (``journal.reader.report_progress_to``, through shared anonymous memory);
- ``lmdb.Error`` and ``struct.error`` raised in the child (a B-tree page LMDB refuses, a value
  too short for its header) end the same way: exit 1, one line, no traceback;
- SIGTERM and SIGINT sent to the parent are passed on to the child.

Cost: one ``fork`` and ``waitpid`` after the command's imports: 2.1 ms (minimum; median 11 ms
at load 8 on this 2-core VM), below the noise of the commands' 0.3-0.7 s wall time
(``python perf/journal_commands.py``). Checking every LMDB page in Python before reading was
the alternative: a read of every B-tree page per command, still trusting LMDB's own walk.
"""

from __future__ import annotations

import contextlib
import json
import mmap
import os
import signal
import struct
import sys
from collections.abc import Callable

_SEQ = struct.Struct("<Q")
#: signals by which a process dies when it touches memory a damaged page size points past
_FAULTS = {signal.SIGBUS, signal.SIGSEGV, signal.SIGILL, signal.SIGFPE}
_FORWARD = (signal.SIGTERM, signal.SIGINT)


def damage_message(name: str, after_seq: int, why: str) -> str:
    """Returns the one-line report of a journal whose structure is damaged."""
    return f"ringbus {name}: journal structure damaged after seq {after_seq}: {why}"


def run_isolated(name: str, body: Callable[[], int], json_errors: bool) -> int:
    """Runs ``body`` in a forked child and returns its exit code (see the module contract)."""
    progress = mmap.mmap(-1, _SEQ.size)  # MAP_SHARED | MAP_ANONYMOUS: the child's writes show
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        _child(name, body, json_errors, progress)
    previous = {sig: signal.signal(sig, lambda signum, _frame: _forward(pid, signum))
                for sig in _FORWARD}
    try:
        _, status = os.waitpid(pid, 0)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if os.WIFEXITED(status):
        return os.WEXITSTATUS(status)
    sig = os.WTERMSIG(status)
    if sig in _FAULTS:
        after = _SEQ.unpack_from(progress, 0)[0]
        why = (f"reading it faulted ({signal.Signals(sig).name}): a damaged LMDB page points "
               f"past the end of data.mdb")
        _report(name, after, why, json_errors)
        return 1
    return 128 + sig


def _forward(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)


def _child(name: str, body: Callable[[], int], json_errors: bool, progress: mmap.mmap) -> None:
    import lmdb

    from journal import reader

    code = 1
    try:
        reader.report_progress_to(memoryview(progress))
        code = body()
    except (lmdb.Error, struct.error) as exc:
        after = _SEQ.unpack_from(progress, 0)[0]
        _report(name, after, f"{type(exc).__name__}: {exc}", json_errors)
        code = 1
    except KeyboardInterrupt:
        code = 130
    except BrokenPipeError:
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except (BrokenPipeError, OSError):
            pass
        os._exit(code)


def _report(name: str, after_seq: int, why: str, json_errors: bool) -> None:
    message = damage_message(name, after_seq, why)
    if json_errors:
        print(json.dumps({"error": message, "status": "CORRUPT", "after_seq": after_seq},
                         sort_keys=True), flush=True)
    else:
        print(message, file=sys.stderr, flush=True)
