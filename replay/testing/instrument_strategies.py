"""Hypothesis strategy drawing instruments (re-exported by :mod:`replay.testing.strategies`;
apart so the book-stream strategies import it without an import cycle)."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from domain.instruments import Instrument

__all__ = ["instruments"]


@st.composite
def instruments(draw: Any, classes: tuple[str, ...] = ("fx", "equity", "future", "crypto")
                ) -> Instrument:
    """Draws an instrument of one of ``classes`` (``fx``, ``equity``, ``future``, ``crypto``,
    ``inverse``) with small precisions, a tick of 1-5 units and a lot of 1-10 units."""
    cls = draw(st.sampled_from(classes))
    tick_units = draw(st.sampled_from((1, 1, 5, 25)))
    if cls == "fx":
        pp = draw(st.sampled_from((5, 3)))
        sym = draw(st.sampled_from(("EUR/USD.SIM", "USD/JPY.SIM", "GBP/USD.SIM")))
        return Instrument.fx_pair(sym, price_precision=pp,
                                  tick_size=_dec(tick_units, pp), lot_size="1000")
    if cls == "equity":
        return Instrument.equity("AAPL.XNAS", price_precision=2,
                                 tick_size=_dec(tick_units, 2))
    if cls == "future":
        return Instrument.future("ESH4.GLBX", price_precision=2, tick_size="0.25")
    inverse = cls == "inverse"
    return Instrument.crypto_perpetual(
        "BTCUSD-PERP.BITMEX" if inverse else "BTCUSDT-PERP.BINANCE", is_inverse=inverse,
        base="BTC", quote="USD" if inverse else "USDT", price_precision=1,
        size_precision=0 if inverse else 3, tick_size=_dec(tick_units, 1),
        lot_size="1" if inverse else "0.001")


def _dec(units: int, precision: int) -> str:
    """Returns ``units * 10**-precision`` as a decimal string."""
    text = str(units).rjust(precision + 1, "0")
    return f"{text[:-precision]}.{text[-precision:]}" if precision else text
