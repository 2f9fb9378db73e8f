"""Optional liquidation: a component that closes an account's positions after a margin call.

Design contract:
- registered only when a venue sets ``liquidate_on_margin_call`` (off by default), after the
  user's strategies (it is a strategy: its orders carry its own strategy id, so nobody else's
  client order ids change);
- on a MARGIN_CALL of its account it submits, for every open position on its venue (in the
  cache's position order), a reduce-only market order for the whole position, bound to that
  position's id; the risk engine checks these like any order (a repeat call before the fills
  is denied by reduce-only, as the position is already being closed);
- it keeps no state beyond the strategy's: what it does is a function of the log.
"""

from __future__ import annotations

from typing import Any

from domain.kinds import Kind
from engines.strategy import Strategy

_MARGIN_CALL = int(Kind.MARGIN_CALL)


class Liquidator(Strategy):
    """Closes the positions of ``account`` on ``venue`` at market after its margin calls."""

    def __init__(self, account: str, venue: str, component_id: str | None = None) -> None:
        super().__init__(component_id or f"liquidator-{account}")
        self.account, self.venue = account, venue
        self.n_liquidations = 0

    def handlers(self) -> dict[int, Any]:
        return {**super().handlers(), _MARGIN_CALL: self._on_margin_call}

    def reacts_to(self, kind: int, instrument_id: int) -> bool:
        return kind == _MARGIN_CALL or super().reacts_to(kind, instrument_id)

    def _on_margin_call(self, rec: Any, ctx: Any) -> None:
        if rec.account_id != ctx.strings.id_of(self.account):
            return
        self.n_liquidations += 1
        for pos in self.cache.positions(open_only=True):
            if str(pos.instrument.id.venue) == self.venue:
                self.close_position(pos)
