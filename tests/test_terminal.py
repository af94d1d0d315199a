"""The real command in a real pseudo-terminal, ended every way a terminal app can end: by a signal,
by q while the scenario's code still runs, by a crash inside a widget, by Ctrl+C while loading.
Each time the terminal must be as it was (``stty -g`` shows the saved settings, the alternate
screen is left, the cursor shown) and no process may be left behind.

mgtui runs under ``sh -c``, so that ``stty -g`` can report the terminal's settings before and after.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import sys
import termios
import time
from pathlib import Path

import pytest

from tests.pty_session import LEAVE_ALT_SCREEN, SHOW_CURSOR, PtySession

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs a pty and /proc")

MISBEHAVING = Path(__file__).parent / "scenarios" / "misbehaving"
ENTER_ALT_SCREEN = b"\x1b[?1049h"
MGTUI = f"{shlex.quote(sys.executable)} -m mgtui"


@pytest.fixture
def shell():
    started: list[PtySession] = []
    pids: list[int] = []

    def start(script: str, env: dict[str, str] | None = None) -> PtySession:
        """``sh -c script`` on a pty."""
        started.append(PtySession(["sh", "-c", script], env))
        return started[-1]

    start.remember = pids.append
    yield start
    for pid in pids:  # should a test fail, leave nothing running
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    for s in started:
        s.kill()


def around(command: str) -> str:
    """A script that reports the terminal's settings before and after `command`, and its status."""
    return f'echo "BEFORE $(stty -g)"; {command}; echo "STATUS $?"; echo "AFTER $(stty -g)"'


def assert_terminal_given_back(session: PtySession, status: int) -> None:
    text = session.text
    assert f"STATUS {status}" in text, text[-600:]
    before = re.search(r"BEFORE ([0-9a-f:]+)", text).group(1)
    after = re.search(r"AFTER ([0-9a-f:]+)", text).group(1)
    assert after == before  # stty -g: the very settings the terminal had
    last_entry = session.output.rindex(ENTER_ALT_SCREEN)
    tail = session.output[last_entry:]
    assert LEAVE_ALT_SCREEN in tail and SHOW_CURSOR in tail[tail.index(LEAVE_ALT_SCREEN) :]


def gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state == "Z"  # exited, waiting for the shell to collect it


# --- signals -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT, signal.SIGALRM])
def test_a_signal_ends_the_app_and_gives_the_terminal_back(shell, number):
    session = shell(around(f"{MGTUI} expression"))
    session.wait_for(b"first expression")
    pid = session.child_pid()
    shell.remember(pid)
    os.kill(pid, number)
    session.finish()
    assert_terminal_given_back(session, 128 + number)


def test_a_stopped_app_leaves_the_terminal_usable_meanwhile(shell):
    """kill -TSTP: while mgtui is stopped, the terminal has its own settings back and the
    alternate screen is left. (Continuing is Textual's; it redraws everything, see
    test_app_misbehaving. It is not driven here: Textual's resume, run inside a signal
    handler, sometimes stalls.)"""
    session = shell(around(f"{MGTUI} expression"))
    session.wait_for(b"BEFORE")
    settings = termios.tcgetattr(session.fd)  # a pty's master reads the terminal's settings
    session.wait_for(b"first expression")
    assert termios.tcgetattr(session.fd) != settings  # raw while the app runs
    pid = session.child_pid()
    shell.remember(pid)
    os.kill(pid, signal.SIGTSTP)
    session.wait_for(LEAVE_ALT_SCREEN)
    deadline = time.monotonic() + 10
    while termios.tcgetattr(session.fd) != settings:
        assert time.monotonic() < deadline, "the terminal's settings did not come back"
        session._read(0.05)
    os.kill(pid, signal.SIGKILL)
    session.finish()


def test_sigterm_while_the_scenarios_code_holds_the_ui_thread(shell):
    """A schedule that sleeps for days, called while painting: the app cannot exit by itself, so
    the terminal is put back from outside it after a grace period."""
    session = shell(around(f"{MGTUI} {MISBEHAVING / 'schedule_hangs.py'} --train"))
    session.wait_for(ENTER_ALT_SCREEN)
    pid = session.child_pid()
    shell.remember(pid)
    time.sleep(1.0)  # let the first epoch run into the schedule
    os.kill(pid, signal.SIGTERM)
    session.finish()
    assert_terminal_given_back(session, 143)


# --- quitting while the scenario's code still runs -----------------------------------------------------------


@pytest.mark.parametrize(
    ("scenario", "args", "marker"),
    [
        ("runaway_loss.py", ("--train",), b"epoch"),  # a loss looping forever in the training worker
        ("starts_a_thread.py", (), b"grad"),  # a non-daemon thread the scenario started
    ],
)
def test_q_ends_the_process_within_two_seconds_whatever_runs(shell, scenario, args, marker):
    session = shell(around(f"{MGTUI} {MISBEHAVING / scenario} {' '.join(args)}"))
    session.wait_for(marker)
    pid = session.child_pid()
    shell.remember(pid)
    time.sleep(0.5)
    session.send("q")
    deadline = time.monotonic() + 2.0
    while not gone(pid) and time.monotonic() < deadline:
        session._read(0.05)
    assert gone(pid), "mgtui still runs 2 s after q"
    session.finish()
    assert_terminal_given_back(session, 0)


def test_the_scenarios_code_exiting_inside_a_worker_ends_the_app_with_its_line(shell):
    """sys.exit(3) in a loss, on the training worker's thread: Textual's workers catch Exception
    only, so the event loop stops dead; mgtui gives the terminal back and names the line."""
    session = shell(around(f"{MGTUI} {MISBEHAVING / 'loss_exits_mid_training.py'} --train"))
    session.finish()
    assert_terminal_given_back(session, 1)
    message = re.sub(r"\s+", "", session.text)  # the line wraps at 80 columns
    assert "loss_exits_mid_training.py:15:calledexit(3)whiletheappran" in message
    assert "Traceback" not in session.text and "RuntimeWarning" not in session.text


def test_a_crash_inside_a_widget_gives_the_terminal_back(shell):
    crash = (
        "import mgtui.widgets.step_panel as panel; "
        "panel.StepPanel.show = lambda *a, **k: 1 / 0 if panel.crash else None; panel.crash = False; "
        "import mgtui.screens.graph as graph; "
        "original = graph.GraphScreen.action_next; "
        "graph.GraphScreen.action_next = lambda self: (setattr(panel, 'crash', True), original(self)); "
        "from mgtui.cli import run; import sys; sys.argv[1:] = ['expression']; run()"
    )
    session = shell(around(f"{shlex.quote(sys.executable)} -c {shlex.quote(crash)}"))
    session.wait_for(b"first expression")
    session.send("n")
    session.finish()
    assert_terminal_given_back(session, 1)
    assert "ZeroDivisionError" in session.text


# --- the scenario's code before the app: a sign of life, and Ctrl+C -------------------------------------------


def test_a_slow_graph_shows_how_long_it_has_run_and_how_to_cancel(shell):
    session = shell(around(f"{MGTUI} {MISBEHAVING / 'slow_graph.py'}"))
    session.wait_for(b"slow_graph.py: running graph()")
    session.wait_for(b"(Ctrl+C cancels)")
    session.wait_for(b"takes a few seconds")  # then the app, with the graph
    session.send("q")
    session.finish()
    assert_terminal_given_back(session, 0)


def test_a_scenario_that_prints_and_asks_for_input_while_loading_gets_the_terminal(shell):
    """The progress line gives way for good as soon as the scenario's code uses the terminal."""
    session = shell(around(f"{MGTUI} {MISBEHAVING / 'asks_for_input.py'} --print"))
    session.wait_for(b"(Ctrl+C cancels)")
    session.wait_for(b"learning rate? ")
    tail = session.output[session.output.rindex(b"setting up...") :]
    assert b"Ctrl+C cancels" not in tail  # not redrawn over the prompt
    session.send("0.5\n")
    session.finish()
    styled_away = re.sub(r"\x1b\[[0-9;]*m", "", session.text)  # --print styles its rows on a terminal
    assert "lr  data 0.5000  grad 2.0000" in styled_away and "STATUS 0" in session.text


def test_ctrl_c_cancels_a_graph_that_never_returns(shell):
    """The loop swallows KeyboardInterrupt; Ctrl+C still ends mgtui at once, abandoning it."""
    # The shell traps Ctrl+C (a handler, not an ignore: mgtui does not inherit it) to report after.
    session = shell("trap : INT; " + around(f"{MGTUI} {MISBEHAVING / 'endless_graph.py'}"))
    session.wait_for(b"(Ctrl+C cancels)")
    pid = session.child_pid()
    shell.remember(pid)
    session.send("\x03")
    session.finish()
    assert "mgtui: interrupted endless_graph.py while running graph()" in session.text
    assert "STATUS 130" in session.text
    assert gone(pid)
    assert ENTER_ALT_SCREEN not in session.output  # the terminal was never taken over


# --- terminals the app cannot use --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("redirect", "env", "message"),
    [
        ("< /dev/null", {}, "standard input is not a terminal (the app reads keys there): use --print"),
        ("2> /dev/null", {}, ""),  # the message goes where stderr goes: nowhere
        ("", {"TERM": "dumb"}, "TERM=dumb cannot show the full-screen app: use --print for text"),
    ],
)
def test_no_app_without_a_terminal_for_it(shell, redirect, env, message):
    session = shell(around(f"{MGTUI} expression {redirect}"), env=env)
    session.finish()
    assert "STATUS 2" in session.text
    assert message in session.text
    assert b"\x1b[" not in session.output  # not one escape code written
