"""ringbus — the ring buffer, its sequences and barriers, consumers, the drain loop and inbox.

Design contract:
- capacity is a power of two, allocated once, never resized;
- one producer (the kernel thread) claims, writes and publishes; other threads hand records in
  through the inbox and never touch the ring;
- each consumer sees every published record exactly once, in seq order, in batches, never past
  the consumers it depends on; the producer never overwrites a slot a consumer still needs: it
  raises rather than drops;
- records a consumer emits are published right after its handler returns and drained in the same
  loop; the one way to reach a component is a record in the ring (the kernel routes records to
  components by kind and instrument: engines/kernel_consumer.py). There is no message bus: one
  that delivered outside the log would feed consumers with something the journal does not hold.

Modules: ``ring`` (Ring), ``sequence`` (Sequence), ``consumer`` (Consumer, BatchHandler),
``graph`` (ConsumerGraph), ``outbox`` (Outbox), ``drain_loop`` (DrainLoop), ``inbox`` (Inbox),
``errors``. See docs/ring.md.

Names are imported lazily so that ``import ringbus`` (and the command line) starts fast.
"""

from __future__ import annotations

import importlib
from typing import Any

from ringbus._version import __version__ as __version__

_EXPORTS = {
    "BatchHandler": "consumer",
    "Consumer": "consumer",
    "DrainLoop": "drain_loop",
    "ConsumerGraphError": "errors",
    "RingbusError": "errors",
    "RingConfigError": "errors",
    "RingFullError": "errors",
    "RingRangeError": "errors",
    "ConsumerGraph": "graph",
    "Inbox": "inbox",
    "Outbox": "outbox",
    "Ring": "ring",
    "Sequence": "sequence",
}

__all__ = sorted([*_EXPORTS, "__version__"])


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'ringbus' has no attribute {name!r}")
    return getattr(importlib.import_module(f"ringbus.{module}"), name)
