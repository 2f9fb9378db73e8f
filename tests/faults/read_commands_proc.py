"""Subprocess helper of the fuzz test: runs ``verify``, ``inspect`` and ``replay`` (``--json``)
on one journal the way the ``ringbus`` program does (each in a forked child,
``replay.isolation``), in one interpreter, saving the imports of three.

``python read_commands_proc.py JOURNAL OUT_DIR`` writes ``OUT_DIR/<command>.out`` / ``.err``
and prints one JSON object ``{command: exit code}``.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def main(journal_dir: str, out_dir: str) -> None:
    import journal.summary  # noqa: F401  (imported once here, inherited by each forked child)
    import journal.verify  # noqa: F401
    import replay.rebuild  # noqa: F401
    import replay.state_report  # noqa: F401
    from replay.cli import main as ringbus

    codes = {}
    saved = os.dup(1), os.dup(2)
    for command in ("verify", "inspect", "replay"):
        with open(Path(out_dir) / f"{command}.out", "wb") as out, \
                open(Path(out_dir) / f"{command}.err", "wb") as err:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(out.fileno(), 1)
            os.dup2(err.fileno(), 2)
            try:
                codes[command] = ringbus([command, "--json", journal_dir], isolate=True)
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os.dup2(saved[0], 1)
                os.dup2(saved[1], 2)
    print(json.dumps(codes), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
