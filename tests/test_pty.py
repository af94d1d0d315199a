"""The real command in a real pseudo-terminal at 80×24: it draws, answers keys, and gives the
terminal back (alternate screen left, cursor shown) however it ends."""

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

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a pty")

LEAVE_ALT_SCREEN = b"\x1b[?1049l"
SHOW_CURSOR = b"\x1b[?25h"


class Terminal:
    def __init__(self, *args: str) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.execvpe(sys.executable, [sys.executable, "-m", "mgtui", *args], {**os.environ, "TERM": "xterm-256color"})
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        self.output = b""

    def wait_for(self, text: bytes, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output:
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never appeared; last output: {self.output[-400:]!r}")
            self._read(0.05)

    def _read(self, timeout: float) -> bool:
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

    def kill(self) -> None:
        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        os.close(self.fd)


@pytest.fixture
def terminal():
    started: list[Terminal] = []

    def start(*args: str) -> Terminal:
        started.append(Terminal(*args))
        return started[-1]

    yield start
    for t in started:
        t.kill()


def test_steps_with_keys_and_quits_with_q(terminal):
    t = terminal("expression")
    t.wait_for(b"first expression")
    t.send("n")
    t.wait_for("e = a · b = 2.0 · -3.0 = -6.0".encode())
    t.send("q")
    assert t.exit_status() == 0
    assert LEAVE_ALT_SCREEN in t.output and SHOW_CURSOR in t.output


def test_ctrl_c_while_training_gives_the_terminal_back(terminal):
    t = terminal("moons", "--train")
    t.wait_for(b"running")
    t.send("\x03")  # ctrl+c
    assert t.exit_status() == 0
    tail = t.output[t.output.rindex(LEAVE_ALT_SCREEN) :]
    assert SHOW_CURSOR in t.output and b"Traceback" not in tail
