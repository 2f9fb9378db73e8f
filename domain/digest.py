"""BLAKE2b, the one hash of state hashes, run ids and fingerprints, without OpenSSL.

Design contract:
- :data:`blake2b` is the very function ``hashlib.blake2b`` is: CPython's builtin ``_blake2``
  (hashlib never hands BLAKE2 to OpenSSL), so every digest is the same;
- ``import hashlib`` also loads OpenSSL's ``_hashlib`` (about 2.5 ms of every command's
  start-up) for hashes ringbus does not use; modules that hash with BLAKE2b take it from here.
"""

from __future__ import annotations

try:
    from _blake2 import blake2b
except ImportError:  # an interpreter built without the builtin module
    from hashlib import blake2b

__all__ = ["blake2b"]
