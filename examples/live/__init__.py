"""Live trading walkthroughs against QuickFIX ordermatch: see walkthrough.py (the FIX adapter
alone) and node_walkthrough.py (``ringbus live``: a strategy through the kernel)."""
