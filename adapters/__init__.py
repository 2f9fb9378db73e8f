"""Venue adapters: live I/O that turns a venue's wire messages into INPUT records.

Layering: adapters import domain, ringbus, journal and engines, never replay.
"""
