"""A real process on a real pseudo-terminal of 80×24, for the tests where terminal state matters:
keys go in as bytes, everything it writes is collected, and it is never left running."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import sys
import termios
import time
from pathlib import Path

LEAVE_ALT_SCREEN = b"\x1b[?1049l"
SHOW_CURSOR = b"\x1b[?25h"


class PtySession:
    """`argv` run on a fresh pty (TERM=xterm-256color, plus `env`)."""

    def __init__(self, argv: list[str], env: dict[str, str] | None = None) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.execvpe(argv[0], argv, {**os.environ, "TERM": "xterm-256color", **(env or {})})
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        self.output = b""

    def wait_for(self, text: bytes, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output:
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never appeared; last output: {self.output[-600:]!r}")
            self._read(0.05)

    def _read(self, timeout: float) -> bool:
        """Collect what is there within `timeout`; False once the other side has closed."""
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return True
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:
            return False
        self.output += chunk
        return bool(chunk)

    def send(self, keys: str) -> None:
        os.write(self.fd, keys.encode())

    def exit_status(self, timeout: float = 20.0) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self._read(0.05):
                break
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                return os.waitstatus_to_exitcode(status)
        _, status = os.waitpid(self.pid, 0)
        return os.waitstatus_to_exitcode(status)

    def finish(self, timeout: float = 30.0) -> None:
        """Read until the process has exited."""
        deadline = time.monotonic() + timeout
        while self._read(0.05):  # until the pty reports the other side closed (EIO)
            if time.monotonic() > deadline:
                raise AssertionError(f"the process did not finish; last output: {self.output[-600:]!r}")
        os.waitpid(self.pid, 0)

    def child_pid(self, timeout: float = 30.0) -> int:
        """The pid of the process this one started (mgtui, under ``sh -c``)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for stat in Path("/proc").glob("[0-9]*/stat"):
                try:
                    fields = stat.read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) == self.pid:
                    return int(stat.parent.name)
            time.sleep(0.05)
        raise AssertionError("it started no child")

    def kill(self) -> None:
        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        os.close(self.fd)

    @property
    def text(self) -> str:
        return self.output.decode(errors="replace")


def mgtui(*args: str) -> PtySession:
    """``python -m mgtui ARGS`` on a pty."""
    return PtySession([sys.executable, "-m", "mgtui", *args])
