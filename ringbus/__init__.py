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
"""

from ringbus._version import __version__
from ringbus.bus import MessageBus, Request, Subscription
from ringbus.consumer import BatchHandler, Consumer
from ringbus.drain_loop import DrainLoop
from ringbus.errors import (
    BusError,
    ConsumerGraphError,
    DuplicateEndpointError,
    RingbusError,
    RingConfigError,
    RingFullError,
    RingRangeError,
    UnknownCorrelationIdError,
    UnknownEndpointError,
    UnknownSubscriptionError,
)
from ringbus.graph import ConsumerGraph
from ringbus.inbox import Inbox
from ringbus.outbox import Outbox
from ringbus.ring import Ring
from ringbus.router import RecordRouter
from ringbus.sequence import Sequence

__all__ = [
    "BatchHandler",
    "BusError",
    "Consumer",
    "ConsumerGraph",
    "ConsumerGraphError",
    "DrainLoop",
    "DuplicateEndpointError",
    "Inbox",
    "MessageBus",
    "Outbox",
    "RecordRouter",
    "Request",
    "Ring",
    "RingConfigError",
    "RingFullError",
    "RingRangeError",
    "RingbusError",
    "Sequence",
    "Subscription",
    "UnknownCorrelationIdError",
    "UnknownEndpointError",
    "UnknownSubscriptionError",
    "__version__",
]
