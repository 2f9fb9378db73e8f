"""Commit notifications: a registered listener is woken; a dead registration is removed."""

from __future__ import annotations

import select

from journal.format import TAILERS_DIR
from journal.notify import CommitListener, CommitNotifier


def test_a_registered_listener_is_woken_by_each_notify(tmp_path):
    listener = CommitListener(tmp_path)
    notifier = CommitNotifier(tmp_path)
    try:
        assert select.select([listener], [], [], 0)[0] == []
        notifier.notify()
        notifier.notify()
        assert select.select([listener], [], [], 1.0)[0] == [listener]
        assert listener.drain() == 2
        assert select.select([listener], [], [], 0)[0] == []
    finally:
        listener.close()
        notifier.close()
    assert list((tmp_path / TAILERS_DIR).iterdir()) == []


def test_the_registration_of_a_gone_tailer_is_removed_on_the_next_notify(tmp_path):
    (tmp_path / TAILERS_DIR).mkdir()
    stale = tmp_path / TAILERS_DIR / "999999-1"
    stale.write_bytes(b"\0ringbus-tail-nobody-listens-here")
    notifier = CommitNotifier(tmp_path)
    notifier.notify()
    notifier.close()
    assert not stale.exists()
