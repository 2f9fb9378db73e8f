"""Optional probabilistic fills, seeded: the same seed gives the same fills in every run.

Design contract:
- the only random decision is whether a resting limit order fills when the market trades
  exactly at its price (no queue information at L1 / L2): with probability
  ``prob_fill_at_limit``; 1.0 (always) and 0.0 (never) draw nothing;
- the generator is ``numpy.random.Generator(PCG64(seed))``; its state is reactor state and
  round-trips through :meth:`snapshot` / :meth:`restore` as plain data.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class FillModel:
    """Decides fills at the touch with a seeded generator."""

    def __init__(self, prob_fill_at_limit: float = 0.0, seed: int = 0) -> None:
        if not 0.0 <= prob_fill_at_limit <= 1.0:
            raise ValueError(f"prob_fill_at_limit must be in [0, 1], got {prob_fill_at_limit}")
        if seed < 0:
            raise ValueError(f"seed must be >= 0, got {seed}")
        self.prob_fill_at_limit = prob_fill_at_limit
        self.seed = seed
        self._rng = np.random.Generator(np.random.PCG64(seed))

    def fills_at_limit(self) -> bool:
        """Returns True when a limit order touched (not crossed) by a trade fills."""
        p = self.prob_fill_at_limit
        if p >= 1.0:
            return True
        if p <= 0.0:
            return False
        return bool(self._rng.random() < p)

    def snapshot(self) -> dict[str, Any]:
        """Returns the generator state as plain data."""
        return {"bit_generator": self._rng.bit_generator.state}

    def restore(self, doc: dict[str, Any]) -> None:
        """Replaces the generator state with a snapshot's."""
        self._rng.bit_generator.state = doc["bit_generator"]

    def digest_bytes(self) -> bytes:
        """Returns canonical bytes of the generator state."""
        st = self._rng.bit_generator.state["state"]
        return f"{st['state']}:{st['inc']}".encode()
