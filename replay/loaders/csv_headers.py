"""The header columns that name a CSV format: :mod:`replay.loaders.detect` matches a file's first
line against them before it imports the one loader it picks, and that loader requires the same
columns (re-exported as ``binance_depth.COLUMNS``, ``tardis.TRADE_COLUMNS`` and ``BOOK_COLUMNS``).
"""

from __future__ import annotations

BINANCE_DEPTH_COLUMNS = ("timestamp", "first_update_id", "last_update_id", "side", "update_type",
                         "price", "qty")
TARDIS_TRADE_COLUMNS = ("timestamp", "local_timestamp", "id", "side", "price", "amount")
TARDIS_BOOK_COLUMNS = ("timestamp", "local_timestamp", "is_snapshot", "side", "price", "amount")
