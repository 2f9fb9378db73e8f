"""Bracket outcomes do not depend on how many components are registered.

The same quotes through the bracket strategy with 0, 1 and 3 extra strategies registered around
it (idle, or subscribed to the same quotes, which changes the routing and publishes every quote
alone) must open the same brackets and fill them at the same times, sides, prices and
quantities, with the same denials. Extra components shift interned ids (component ids are
strings), so events are compared by their content, not by id.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from domain.codec import decode_raw
from domain.kinds import Kind
from engines.strategies.noop import Noop
from examples.bracket.strategy import BracketEveryN
from tests.unit.kernel_rig import SYMBOL, Tape, build, feed, quotes


class Watcher(Noop):
    """Subscribes to the quotes and does nothing with them."""

    def on_start(self) -> None:
        self.subscribe_quotes(SYMBOL)


def _outcome(extra_before: list[Any], extra_after: list[Any]) -> dict[str, Any]:
    bracket = BracketEveryN(SYMBOL, quantity=10_000, tp_ticks=3, sl_ticks=3, every=5,
                            on="quote")
    tape = Tape()
    kernel = build([*extra_before, bracket, *extra_after], journal=tape)
    rng = np.random.default_rng(11)
    bids = 110_000 + np.cumsum(rng.integers(-2, 3, 3_000))
    feed(kernel, quotes(kernel, bids, spread=2))
    kernel.stop()
    assert kernel.faulted is None
    data = tape.records().tobytes()
    recs = [decode_raw(data, i * 128) for i in range(len(data) // 128)]
    fills = [(r.ts_init, r.side, r.last_px, r.last_qty) for r in recs
             if r.kind == Kind.ORDER_FILLED]
    denied = [(r.ts_init, kernel.strings.text(r.reason_id).split(": ")[-1]) for r in recs
              if r.kind == Kind.ORDER_DENIED]
    canceled = [r.ts_init for r in recs if r.kind == Kind.ORDER_CANCELED]
    return {"brackets": len(bracket.lists), "fills": fills, "denied": denied,
            "canceled": canceled, "open": len(kernel.cache.orders(open_only=True))}


@pytest.mark.parametrize("extras", [
    ([Noop("idle-1")], []),
    ([], [Noop("idle-1")]),
    ([Noop("idle-1"), Watcher("watch-1")], [Watcher("watch-2")]),
])
def test_bracket_fills_do_not_depend_on_registered_components(extras: tuple) -> None:
    alone = _outcome([], [])
    assert alone["brackets"] > 100 and len(alone["fills"]) > 200  # the run trades
    assert _outcome(*extras) == alone
