"""Recomputes the pinned state hashes and rewrites ``tests/golden/pinned_hashes.json``.

Usage: ``python -m tests.golden.regen_pins [--check]`` (``--check``: print the differences and
exit 1 when a pin moved, write nothing). Pins change only with a deliberate change of behaviour;
say which workload moved and why in the commit.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from tests.golden.pins import PINS, WORKLOADS


def main(argv: list[str]) -> int:
    check = "--check" in argv
    old = json.loads(PINS.read_text()) if PINS.exists() else {}
    new = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, workload in WORKLOADS.items():
            new[name] = workload(Path(tmp))
            mark = "" if old.get(name) == new[name] else f"  (was {old.get(name)})"
            print(f"{name:<18} {new[name]}{mark}")
    if check:
        return 0 if new == {k: old.get(k) for k in new} else 1
    PINS.write_text(json.dumps(new, indent=2, sort_keys=True) + "\n")
    print(f"wrote {PINS}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
