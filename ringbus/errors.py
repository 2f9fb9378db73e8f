"""Typed errors of the ring, the consumer graph, the inbox and the message bus.

Every message names the rule broken and the values involved (capacity, seq, consumer, topic).
"""

from __future__ import annotations


class RingbusError(Exception):
    """Base class of every error raised by :mod:`ringbus`."""


class RingConfigError(RingbusError, ValueError):
    """A ring was built or called with a structurally invalid argument."""


class RingFullError(RingbusError):
    """A claim would overwrite a slot that a gating consumer has not finished; nothing was written."""


class RingRangeError(RingbusError, IndexError):
    """A seq range is not (or no longer) readable or writable in the ring."""


class ConsumerGraphError(RingbusError, ValueError):
    """A consumer graph has a duplicate name, an unknown dependency or a cycle."""
