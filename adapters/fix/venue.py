"""Runs QuickFIX's ``ordermatch`` example as a local FIX 4.2 test venue (127.0.0.1 only).

``scripts/setup_ordermatch.sh`` installs it; :func:`find_ordermatch` locates the install and
:class:`OrdermatchVenue` starts it on a free port with one ``[SESSION]`` per client CompID,
keeps its stdin open on a pipe (its main loop reads commands from stdin and spins without one)
and stops it with ``#quit``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path

SETUP_SCRIPT = "scripts/setup_ordermatch.sh"
VENUE_COMP_ID = "ORDERMATCH"


def venue_dir() -> Path:
    """Returns the install folder ($RINGBUS_VENUES/ordermatch, default ~/.cache/ringbus-venues)."""
    root = os.environ.get("RINGBUS_VENUES", str(Path.home() / ".cache" / "ringbus-venues"))
    return Path(root) / "ordermatch"


def find_ordermatch() -> Path | None:
    """Returns the install folder when binary and loopback shim are both there, else None."""
    folder = venue_dir()
    ok = (folder / "ordermatch").is_file() and (folder / "bind_loopback.so").is_file()
    return folder if ok else None


def free_port() -> int:
    """Returns a TCP port free on 127.0.0.1 at the time of the call."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def session_config(port: int, client_comp_ids: list[str], store_dir: Path) -> str:
    """Returns ordermatch's settings file text: one acceptor session per client CompID."""
    lines = [
        "[DEFAULT]", "ConnectionType=acceptor", f"SocketAcceptPort={port}",
        "SocketReuseAddress=Y", "StartTime=00:00:00", "EndTime=00:00:00",
        f"FileStorePath={store_dir}", "UseDataDictionary=N", "BeginString=FIX.4.2",
        f"SenderCompID={VENUE_COMP_ID}", "ResetOnLogon=N", "ResetOnDisconnect=N", "",
    ]
    for comp_id in client_comp_ids:
        lines += ["[SESSION]", f"TargetCompID={comp_id}", ""]
    return "\n".join(lines)


class OrdermatchVenue:
    """One running ordermatch process; ``start`` waits until its port accepts connections."""

    def __init__(self, folder: Path, work_dir: Path, client_comp_ids: list[str]) -> None:
        self.folder = folder
        self.work_dir = work_dir
        self.client_comp_ids = list(client_comp_ids)
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 10.0) -> OrdermatchVenue:
        """Starts the venue; raises RuntimeError (with its output) if it does not listen in time."""
        self.work_dir.mkdir(parents=True, exist_ok=True)
        cfg = self.work_dir / "ordermatch.cfg"
        cfg.write_text(session_config(self.port, self.client_comp_ids, self.work_dir / "store"))
        env = dict(os.environ, LD_PRELOAD=str(self.folder / "bind_loopback.so"))
        self.log = open(self.work_dir / "ordermatch.log", "wb")  # noqa: SIM115 - closed in stop
        self.proc = subprocess.Popen(
            [str(self.folder / "ordermatch"), str(cfg)], stdin=subprocess.PIPE,
            stdout=self.log, stderr=subprocess.STDOUT, cwd=self.work_dir, env=env,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        output = (self.work_dir / "ordermatch.log").read_text(errors="replace")[-2000:]
        raise RuntimeError(f"ordermatch did not listen on 127.0.0.1:{self.port}: {output}")

    def stop(self, timeout_s: float = 5.0) -> None:
        """Sends ``#quit`` and waits; kills the process if it does not exit in time."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        try:
            if proc.poll() is None and proc.stdin is not None:
                proc.stdin.write(b"#quit\n")
                proc.stdin.flush()
            proc.wait(timeout=timeout_s)
        except (OSError, subprocess.TimeoutExpired):
            proc.kill()
            proc.wait(timeout=timeout_s)
        finally:
            if proc.stdin is not None:
                proc.stdin.close()
            self.log.close()

    def log_text(self) -> str:
        """Returns the venue's screen log so far (FIX messages in and out)."""
        return (self.work_dir / "ordermatch.log").read_text(errors="replace")

    def __enter__(self) -> OrdermatchVenue:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def listening_addresses(port: int) -> list[str]:
    """Returns the local addresses with a listening TCP socket on ``port`` (Linux /proc)."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not Path(table).exists():
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            addr, hex_port = local.rsplit(":", 1)
            if state == "0A" and int(hex_port, 16) == port:
                found.append(addr)
    return found
