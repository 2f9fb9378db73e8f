"""A worked bracket example: see README.md in this folder."""
