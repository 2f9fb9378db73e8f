"""Kernel snapshot and restore: every component's state, the scheduler and kernel time.

Design contract:
- :func:`snapshot_kernel` is taken between publishes (the ring drained, nothing pending in the
  outbox) and returns ``(doc, arrays)``: a JSON-able doc (``last_seq``, kernel time, the
  scheduler, and per component in registration order its id, lifecycle state and
  ``snapshot()``), and numpy arrays (those of components whose ``snapshot()`` returns
  ``(doc, arrays)``, such as the cache, under ``<component id>/<name>``);
- :func:`restore_kernel` applies it to a kernel built with ``first_seq = last_seq + 1`` and the
  same components registered in the same order (none started): each component gets its state
  and its lifecycle state back (no hooks run, nothing is published; records that registration
  queued for publication are already in the log and are dropped);
- restoring then feeding the records after ``last_seq`` gives the state (``state_hash``, scope
  ``"all"`` in execute mode) of the uninterrupted run, and the same records.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from engines.component import ComponentState

if TYPE_CHECKING:
    from engines.kernel import Kernel

FORMAT = 1


class SnapshotError(RuntimeError):
    """A snapshot cannot be taken now, or does not fit the kernel it is restored into."""


def snapshot_kernel(kernel: Kernel) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Returns ``(doc, arrays)`` of the whole kernel (see the module contract)."""
    kernel.sync_journal()
    if len(kernel._setup_outbox) or not kernel.loop.is_drained():
        raise SnapshotError(
            f"snapshot at seq {kernel.last_seq}: the ring is not drained or records are pending"
        )
    arrays: dict[str, np.ndarray] = {}
    comps = []
    for comp in kernel.components:
        state = comp.snapshot()
        has_arrays = isinstance(state, tuple)
        if has_arrays:
            state, comp_arrays = state
            for name, arr in comp_arrays.items():
                arrays[f"{comp.component_id}/{name}"] = arr
        comps.append({"id": comp.component_id, "lifecycle": comp.state.name,
                      "arrays": has_arrays, "state": state})
    ctx = kernel.ctx
    doc = {
        "format": FORMAT, "last_seq": kernel.last_seq, "now_ns": ctx.now_ns,
        "current_seq": ctx.current_seq, "scheduler": kernel.scheduler.snapshot(),
        "components": comps,
    }
    return doc, arrays


def restore_kernel(kernel: Kernel, doc: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
    """Restores ``kernel`` from a snapshot (see the module contract)."""
    if doc.get("format") != FORMAT:
        raise SnapshotError(f"snapshot format must be {FORMAT}, got {doc.get('format')!r}")
    last_seq = int(doc["last_seq"])
    if kernel.ring.cursor != last_seq:
        raise SnapshotError(
            f"restore of a snapshot at seq {last_seq} needs a kernel built with first_seq="
            f"{last_seq + 1}, got one at seq {kernel.ring.cursor}"
        )
    ids = [c["id"] for c in doc["components"]]
    have = [c.component_id for c in kernel.components]
    if ids != have:
        raise SnapshotError(f"snapshot components {ids} differ from the kernel's {have}")
    kernel.loop  # noqa: B018 - builds the consumers (registration closes) before restoring
    kernel._setup_outbox.take()  # registration's STRING records are in the log already
    for comp, entry in zip(kernel.components, doc["components"], strict=True):
        if comp.state != ComponentState.READY:
            raise SnapshotError(
                f"component {comp.component_id!r} must be READY to be restored, got "
                f"{comp.state.name}"
            )
        if entry["arrays"]:
            prefix = f"{comp.component_id}/"
            sub = {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}
            comp.restore(entry["state"], sub)  # type: ignore[call-arg]
        else:
            comp.restore(entry["state"])
        comp.state = ComponentState[entry["lifecycle"]]
    kernel.scheduler.restore(doc["scheduler"])
    kernel.ctx.now_ns = int(doc["now_ns"])
    kernel.ctx.current_seq = int(doc["current_seq"])
    kernel._refresh()
    kernel._drained_at = kernel.ring.cursor
