"""journal — the LMDB journal: writer, reader, tailer, integrity checks and snapshots.

Design contract:
- append-only, keyed by big-endian seq; raw record bytes with a checksum per batch;
- a crash at any instant leaves a contiguous prefix that opens cleanly; corruption is reported
  with its seq range and file and nothing after it is applied;
- opening a journal never executes code from it.
"""
