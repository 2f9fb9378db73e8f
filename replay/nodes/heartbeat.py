"""The heartbeat input source of a live node: proof of life in the journal for a standby.

Design contract:
- :class:`Heartbeat` runs a thread of its own that pushes one HEARTBEAT record (INPUT; its
  ``ts_init`` is stamped by the sink, e.g. :meth:`replay.nodes.inputs.LiveInbox.push`) into
  ``sink`` every ``interval_s`` seconds of the machine's monotonic clock, the first one at
  :meth:`Heartbeat.start`; so a primary that journals its inbox commits at least one record per
  interval while its node thread is healthy, whatever its market data does;
- a HEARTBEAT is a control input (:data:`replay.nodes.inputs.CONTROL_KINDS`): the kernel
  journals it and no component acts on it; re-execution publishes it through the loop by its
  ``ts_init``, as the live take did (the timers due before it first);
- ``count`` numbers the heartbeats of one source from 1; ``pid`` is the writer's process id,
  for the standby's messages only;
- :meth:`Heartbeat.close` stops the thread (bounded wait); a sink that raises (a closed inbox)
  stops it too.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

import numpy as np

from domain.codec import encode
from domain.kinds import Kind

#: The interval when the config names none (seconds).
DEFAULT_INTERVAL_S = 0.5


def heartbeat_record(count: int, interval_ns: int, pid: int | None = None) -> np.ndarray:
    """Returns one HEARTBEAT record (INPUT-flagged; ``ts_init`` 0: the sink stamps it)."""
    return encode(Kind.HEARTBEAT, flags=1, interval_ns=interval_ns, count=count,
                  pid=os.getpid() if pid is None else pid)


class Heartbeat:
    """Pushes a HEARTBEAT into ``sink`` every ``interval_s`` (see the module contract)."""

    def __init__(self, sink: Callable[[np.ndarray], None],
                 interval_s: float = DEFAULT_INTERVAL_S) -> None:
        if not interval_s > 0:
            raise ValueError(f"heartbeat_interval must be > 0 seconds, got {interval_s!r}")
        self.sink = sink
        self.interval_s = float(interval_s)
        self.count = 0
        self.error: BaseException | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._main, name="heartbeat", daemon=True)

    def _main(self) -> None:
        interval_ns = round(self.interval_s * 1e9)
        while not self._stop.is_set():
            try:
                self.sink(heartbeat_record(self.count + 1, interval_ns))
            except Exception as exc:  # the sink is closed: the node is ending
                self.error = exc
                return
            self.count += 1
            self._stop.wait(self.interval_s)

    def start(self) -> Heartbeat:
        self._thread.start()
        return self

    def close(self) -> None:
        """Stops pushing and waits for the thread (bounded)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(max(5.0, 2 * self.interval_s))
