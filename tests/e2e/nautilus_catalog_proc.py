"""Run with NautilusTrader's venv: loads a catalog with its own ``ParquetDataCatalog`` and prints
one JSON object: per data type the row count and the first and last rows' fields as text.

Usage: ``python nautilus_catalog_proc.py CATALOG_DIR``.
"""

from __future__ import annotations

import json
import sys

from nautilus_trader.model.data import Bar, OrderBookDelta, QuoteTick, TradeTick
from nautilus_trader.persistence.catalog import ParquetDataCatalog


def _fields(obj: object) -> dict[str, str]:
    extra: dict[str, str] = {}
    if isinstance(obj, QuoteTick):
        names = ("bid_price", "ask_price", "bid_size", "ask_size")
    elif isinstance(obj, TradeTick):
        names = ("price", "size", "trade_id")
        extra = {"aggressor_side": obj.aggressor_side.name}
    elif isinstance(obj, Bar):
        names = ("open", "high", "low", "close", "volume")
        extra = {"bar_type": str(obj.bar_type)}
    else:
        names = ("flags", "sequence")
        extra = {"action": obj.action.name, "side": obj.order.side.name,
                 "price": str(obj.order.price), "size": str(obj.order.size),
                 "order_id": str(obj.order.order_id)}
    out = {n: str(getattr(obj, n)) for n in names}
    out.update(extra)
    out.update(ts_event=str(obj.ts_event), ts_init=str(obj.ts_init))
    if not isinstance(obj, Bar):
        out["instrument_id"] = str(obj.instrument_id)
    return out


def main() -> int:
    catalog = ParquetDataCatalog(sys.argv[1])
    out = {}
    for name, cls in (("quote_tick", QuoteTick), ("trade_tick", TradeTick), ("bar", Bar),
                      ("order_book_delta", OrderBookDelta)):
        rows = catalog.query(cls)
        if rows:
            out[name] = {"n": len(rows), "first": _fields(rows[0]), "last": _fields(rows[-1])}
    print(json.dumps(out, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
