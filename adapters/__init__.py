"""adapters — the edge to the outside world: venue and data clients that turn wire messages into
INPUT records and kernel commands into wire messages; no trading logic.

Design contract:
- layering: adapters import domain, ringbus, journal and engines, never replay;
- an adapter journals every message it sends or receives as a record before anything acts on it;
  its session state is a replay of those records, never a separate store;
- credentials come from the environment or a file outside the journal and never enter a record;
- opening a journal never makes an adapter send anything: only an explicit ``connect`` does.
"""
