"""The real command in a real pseudo-terminal at 80×24: it draws, answers keys, and gives the
terminal back (alternate screen left, cursor shown) however it ends."""

from __future__ import annotations

import sys

import pytest

from tests.pty_session import LEAVE_ALT_SCREEN, SHOW_CURSOR, PtySession, mgtui

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a pty")


@pytest.fixture
def terminal():
    started: list[PtySession] = []

    def start(*args: str) -> PtySession:
        started.append(mgtui(*args))
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
