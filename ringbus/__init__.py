"""ringbus — the ring buffer, its sequences and barriers, consumers and the message bus.

Design contract:
- capacity is a power of two, allocated once, never resized;
- one producer (the kernel thread) claims, writes and publishes; other threads hand records in
  through the inbox and never touch the ring;
- each consumer sees every published record exactly once, in seq order, in batches, never past
  the consumers it depends on; the producer never overwrites a slot a consumer still needs: it
  raises rather than drops;
- records a consumer emits are published right after its handler returns and drained in the same
  loop; the message bus delivers in a documented deterministic order (priority, then subscription).

Modules: ``ring`` (Ring), ``sequence`` (Sequence), ``consumer`` (Consumer, BatchHandler),
``graph`` (ConsumerGraph), ``outbox`` (Outbox), ``drain_loop`` (DrainLoop), ``inbox`` (Inbox),
``bus`` (MessageBus), ``router`` (RecordRouter), ``errors``. See docs/ring.md.

Names are imported lazily so that ``import ringbus`` (and the command line) starts fast.
"""

from __future__ import annotations

import importlib
from typing import Any

from ringbus._version import __version__ as __version__

_EXPORTS = {
    "MessageBus": "bus",
    "Request": "bus",
    "Subscription": "bus",
    "BatchHandler": "consumer",
    "Consumer": "consumer",
    "DrainLoop": "drain_loop",
    "BusError": "errors",
    "ConsumerGraphError": "errors",
    "DuplicateEndpointError": "errors",
    "RingbusError": "errors",
    "RingConfigError": "errors",
    "RingFullError": "errors",
    "RingRangeError": "errors",
    "UnknownCorrelationIdError": "errors",
    "UnknownEndpointError": "errors",
    "UnknownSubscriptionError": "errors",
    "ConsumerGraph": "graph",
    "Inbox": "inbox",
    "Outbox": "outbox",
    "Ring": "ring",
    "RecordRouter": "router",
    "Sequence": "sequence",
}

__all__ = sorted([*_EXPORTS, "__version__"])


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'ringbus' has no attribute {name!r}")
    return getattr(importlib.import_module(f"ringbus.{module}"), name)
