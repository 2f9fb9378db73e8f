"""domain — the trading vocabulary and the record schema.

Design contract:
- knows nothing of rings, storage or engines; imports only numpy and attrs;
- every message kind is declared once, in :mod:`domain.kinds`; dtypes, codecs, record classes and
  the schema fingerprint are derived from that table;
- domain objects are immutable values; state changes only by applying records;
- prices and quantities are fixed-point int64 with an explicit precision; arithmetic fails fast
  on overflow, NaN, infinity, negative quantities and excess precision.
"""
