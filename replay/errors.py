"""The errors of replaying a journal, and of recovering a node from one.

Kept apart from :mod:`replay.rebuild` and :mod:`replay.recovery_plan` so that a node that has
nothing to replay or recover (every fresh backtest) imports neither: catching these needs only
this module.
"""

from __future__ import annotations


class ReplayError(ValueError):
    """A replay target or a journal's runs do not allow the asked replay."""


class RecoveryError(ReplayError):
    """A journal cannot be recovered by this node (another config, a snapshot that does not fit)."""


class CompletedRunError(RecoveryError):
    """The journal's last run of this config completed: there is nothing to recover."""
