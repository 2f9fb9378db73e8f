"""Re-derives the order events of a FIX journal from its FIX records and compares them with the
journaled ones: the adapter's share of re-execution (``ringbus verify --reexecute`` for live
journals is not built yet)."""

from __future__ import annotations

import numpy as np

from adapters.fix.orders import FixOrders
from adapters.fix.store import without_voided
from domain.kinds import Kind
from domain.schema import HEADER_SIZE


def event_divergences(records: np.ndarray) -> list[str]:
    """Returns one line per order event caused by a FIX_IN record that the fold of the FIX
    records does not reproduce byte for byte (payload and kind), in seq order; [] when none."""
    records = without_voided(records)  # never sent, and their events never happened
    orders = FixOrders()
    by_cause: dict[int, list[np.ndarray]] = {}
    for i in range(len(records)):
        cause = int(records["cause"][i])
        if cause:
            by_cause.setdefault(cause, []).append(records[i : i + 1])
    problems = []
    for i in range(len(records)):
        record = records[i : i + 1]
        kind = int(record["kind"][0])
        if kind == Kind.FIX_OUT:
            orders.on_out(record)
        elif kind == Kind.FIX_IN:
            seq = int(record["seq"][0])
            derived = orders.on_in(record)
            journaled = [r for r in by_cause.get(seq, ()) if int(r["kind"][0]) != Kind.FIX_OUT]
            if [_payload(r) for r in derived] != [_payload(r) for r in journaled]:
                problems.append(
                    f"seq {seq}: FIX_IN derives {[Kind(int(r['kind'][0])).name for r in derived]},"
                    f" journal has {[Kind(int(r['kind'][0])).name for r in journaled]}")
    return problems


def _payload(record: np.ndarray) -> tuple[int, bytes]:
    return int(record["kind"][0]), record.tobytes()[HEADER_SIZE:]
