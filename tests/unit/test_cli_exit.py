"""The ``ringbus`` program ends without the interpreter's teardown, yet as a normal exit would:
same exit code, output flushed, atexit handlers run, the journal and report complete."""

from __future__ import annotations

import json
import subprocess
import sys

from journal.reader import JournalReader
from journal.store import Journal


def _program(args: list[str], tmp_path, extra: str = "") -> subprocess.CompletedProcess[str]:
    code = (
        "import atexit, sys\n"
        "atexit.register(lambda: print('atexit ran', file=sys.stderr, flush=True))\n"
        f"{extra}"
        f"sys.argv = ['ringbus', *{args!r}]\n"
        "from replay.cli import main\n"
        "sys.exit(main())\n"
        "print('never', file=sys.stderr)\n"
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=tmp_path)


def test_a_backtest_program_exits_with_its_output_its_atexit_handlers_and_a_whole_journal(
        tmp_path):
    csv = tmp_path / "audusd.csv"
    rows = "".join(f"{i},0.7{i % 89:04d},0.7{i % 89 + 3:04d}\n" for i in range(1, 300))
    csv.write_text("timestamp,bid,ask\n" + rows)
    out = _program(["backtest", "--strategy", "ema_cross", "--data", str(csv), "--journal",
                    str(tmp_path / "j"), "--report", str(tmp_path / "r"), "--json", "--quiet"],
                   tmp_path)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)  # the whole JSON object: stdout was flushed
    assert out.stderr.strip().splitlines()[-1] == "atexit ran"
    assert JournalReader(Journal.open(tmp_path / "j")).last_seq() == doc["last_seq"]
    summary = json.loads((tmp_path / "r" / "summary.json").read_text())
    assert summary["state_hash"] == doc["state_hash"]
    assert (tmp_path / "r" / "orders.csv").read_text().count("\n") == doc["n_orders"] + 1


def test_a_command_returning_an_error_code_keeps_it(tmp_path):
    out = _program([], tmp_path)  # no command: the help, and exit code 2 returned by main
    assert out.returncode == 2
    assert "usage: ringbus" in out.stdout
    assert out.stderr.strip().splitlines()[-1] == "atexit ran"


def test_with_another_thread_alive_the_program_waits_for_it_as_usual(tmp_path):
    extra = ("import threading, time\n"
             "threading.Thread(target=lambda: (time.sleep(0.3), print('thread done', "
             "file=sys.stderr, flush=True))).start()\n")
    out = _program([], tmp_path, extra)
    assert out.returncode == 2
    assert "thread done" in out.stderr and out.stderr.strip().endswith("atexit ran")


def test_under_cprofile_the_program_exits_normally_so_the_profile_is_written(tmp_path):
    out = subprocess.run([sys.executable, "-m", "cProfile", "-o", str(tmp_path / "p.out"),
                          "-m", "replay.cli"], capture_output=True, text=True, cwd=tmp_path)
    assert "usage: ringbus" in out.stdout  # no command: the help
    assert (tmp_path / "p.out").stat().st_size > 0


def test_the_program_pins_openblas_to_one_thread_unless_the_user_chose_a_count(tmp_path):
    report = ("import os\n"
              "atexit.register(lambda: print('blas', os.environ.get('OPENBLAS_NUM_THREADS'), "
              "file=sys.stderr, flush=True))\n")
    out = _program(["inspect", str(tmp_path / "missing")], tmp_path, report)
    assert "blas 1" in out.stderr
    chosen = "import os\nos.environ['OPENBLAS_NUM_THREADS'] = '2'\n" + report
    out = _program(["inspect", str(tmp_path / "missing")], tmp_path, chosen)
    assert "blas 2" in out.stderr
