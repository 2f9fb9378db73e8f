"""replay — the one replay loop, its sources and nodes, and the command line.

Design contract:
- backtest, sandbox, live and recovery run the same loop; only the source of INPUT records differs;
- feeding a journal's INPUT records to a kernel built from its manifest regenerates every other
  record exactly.
"""
