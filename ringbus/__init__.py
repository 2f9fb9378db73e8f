"""ringbus — the ring buffer, its sequences and barriers, consumers and the message bus.

Design contract:
- capacity is a power of two, allocated once, never resized;
- one producer (the kernel thread) claims, writes and publishes; other threads hand records in
  through the inbox and never touch the ring;
- each consumer sees every published record exactly once, in seq order, in batches, never past
  the consumers it depends on; the producer never overwrites a slot a consumer still needs: it
  raises rather than drops.
"""

from ringbus._version import __version__

__all__ = ["__version__"]
