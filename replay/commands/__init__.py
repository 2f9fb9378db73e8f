"""Subcommands of the ``ringbus`` command line, one module each.

Contract for a command module: ``add_arguments(parser)`` declares its options and imports nothing
heavy; ``run(args) -> int`` does the work (importing what it needs inside) and returns the exit
code: 0 success, 1 a finding (corruption, divergence, violation), 2 bad usage or unreadable input.
"""
