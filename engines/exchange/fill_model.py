"""Optional probabilistic fills, seeded: the same seed gives the same fills in every run.

Design contract:
- the only random decision is whether a resting limit order fills when the market trades
  exactly at its price (no queue information at L1 / L2): with probability
  ``prob_fill_at_limit``; 1.0 (always) and 0.0 (never) draw nothing;
- the generator is ``numpy.random.Generator(PCG64(seed))``; its state is reactor state and
  round-trips through :meth:`snapshot` / :meth:`restore` as plain data;
- the generator is made when first needed (a draw, a snapshot, a restore): a model that never
  draws (probability 0 or 1, the default) leaves ``numpy.random`` unloaded (~14 ms of every
  command); its digest is then that of ``PCG64(seed)`` untouched, known for the default seed
  (:data:`PCG64_INITIAL`, held to numpy by a test) and computed for any other.
"""

from __future__ import annotations

from typing import Any

#: ``PCG64(seed).state["state"]`` before any draw: (state, inc) per seed (numpy's SeedSequence)
PCG64_INITIAL: dict[int, tuple[int, int]] = {
    0: (35399562948360463058890781895381311971, 87136372517582989555478159403783844777),
}


class FillModel:
    """Decides fills at the touch with a seeded generator."""

    def __init__(self, prob_fill_at_limit: float = 0.0, seed: int = 0) -> None:
        if not 0.0 <= prob_fill_at_limit <= 1.0:
            raise ValueError(f"prob_fill_at_limit must be in [0, 1], got {prob_fill_at_limit}")
        if seed < 0:
            raise ValueError(f"seed must be >= 0, got {seed}")
        self.prob_fill_at_limit = prob_fill_at_limit
        self.seed = seed
        self._made: Any = None  # the generator, once made (see the module contract)

    @property
    def _rng(self) -> Any:
        rng = self._made
        if rng is None:
            import numpy as np  # numpy.random loads here, not with the exchange

            rng = self._made = np.random.Generator(np.random.PCG64(self.seed))
        return rng

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
        if self._made is None and self.seed in PCG64_INITIAL:
            state, inc = PCG64_INITIAL[self.seed]
            return f"{state}:{inc}".encode()
        st = self._rng.bit_generator.state["state"]
        return f"{st['state']}:{st['inc']}".encode()
