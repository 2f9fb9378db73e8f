"""A consumer's (or the producer's) position in the log.

Contract: ``value`` is the highest seq that the owner has finished; a fresh sequence for a log
starting at ``first_seq`` holds ``first_seq - 1``. Only its owner writes it; everything else
reads it. It is a plain mutable int holder because every reader runs on the kernel thread.
"""

from __future__ import annotations


class Sequence:
    """A named mutable seq: ``value`` is the last seq finished by its owner."""

    __slots__ = ("name", "value")

    def __init__(self, first_seq: int = 1, name: str = "") -> None:
        self.value: int = first_seq - 1
        self.name: str = name

    def __repr__(self) -> str:
        return f"Sequence(name={self.name!r}, value={self.value})"
