"""The terminal, and giving it back: whether the full-screen app can run here, and how it ends.

Textual draws on standard error, reads keys from standard input, and puts the terminal back when
the app ends normally. The ways it can end otherwise are handled here:

- a signal (``kill`` sends SIGTERM, a closed SSH session SIGHUP, another shell ``kill -INT``;
  see `HANDLED_SIGNALS`):
  the app is asked to exit, which restores the terminal as ``q`` does, with status 128 + the
  signal's number. Should the app not be done within `GRACE` seconds — the learner's code holding
  the UI thread, say — the terminal is put back from here and the process ends anyway. A second
  signal ends it at once, the same way;
- the scenario's code calling ``input()`` while the app owns the keyboard: it gets an error
  instead of stealing keys (or waiting for a line that raw mode never completes);
- threads of the scenario's that outlive the app (a loss looping forever in a training worker, a
  thread of its own): `exit_now` ends the process without waiting for them.
"""

from __future__ import annotations

import io
import os
import signal
import sys
import termios
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from types import FrameType
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:  # asyncio costs 40 ms to import, and --print (which ends through here) needs none of it
    import asyncio

GRACE = 1.0  # seconds the app has to exit by itself after a signal
# Every signal whose default action ends the process and that a terminal app can catch: SIGALRM
# and the user signals too (a scenario may call signal.alarm() from any thread).
HANDLED_SIGNALS = tuple(
    getattr(signal, name)
    for name in ("SIGTERM", "SIGHUP", "SIGINT", "SIGQUIT", "SIGALRM", "SIGUSR1", "SIGUSR2")
    if hasattr(signal, name)
)

# What Textual's Linux driver switches on, switched off, in the order its stop_application_mode
# does it: mouse reports, bracketed paste, in-band resize; line wrap back on; the Kitty keyboard
# protocol popped before leaving the alternate screen; the cursor shown; focus reports off.
LEAVE_APP_MODE = (
    b"\x1b[?1000l\x1b[?1003l\x1b[?1015l\x1b[?1006l\x1b[?2004l\x1b[?2048l\x1b[?7h\x1b[<u\x1b[?1049l\x1b[?25h\x1b[?1004l"
)


def full_screen_problem(
    streams: tuple[IO, IO, IO] | None = None, environ: Mapping[str, str] = os.environ
) -> str | None:
    """Why the full-screen app cannot run here (one line saying what to do instead), or None.

    It needs a terminal on all three standard streams: it reads keys from standard input, draws
    on standard error, and output redirected to a file means the user wanted text (``--print``).
    """
    stdin, stdout, stderr = streams or (sys.stdin, sys.stdout, sys.stderr)
    if environ.get("TERM") == "dumb":
        return "TERM=dumb cannot show the full-screen app: use --print for text"
    if not _is_terminal(stdout):
        return "standard output is not a terminal: use --print for text"
    if not _is_terminal(stdin):
        return "standard input is not a terminal (the app reads keys there): use --print"
    if not _is_terminal(stderr):
        return "standard error is not a terminal (the app draws there): use --print"
    return None


def _is_terminal(stream: IO | None) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (ValueError, OSError):  # closed, or no file behind it
        return False


class TerminalGuard:
    """While the app runs: signals end it cleanly, and the terminal is put back whatever happens.

    `request_exit(status)` asks the app to exit with that status; it is called on the event loop.
    """

    def __init__(self, request_exit: Callable[[int], None], loop: asyncio.AbstractEventLoop) -> None:
        self.request_exit = request_exit
        self.loop = loop
        self.status: int | None = None  # 128 + the signal that ended the app, if one did
        self._input_fd = sys.__stdin__.fileno() if sys.__stdin__ else -1
        self._output_fd = sys.__stderr__.fileno() if sys.__stderr__ else -1
        self._saved: list | None = None
        self._previous: dict[int, object] = {}
        self._done = threading.Event()

    def __enter__(self) -> TerminalGuard:
        try:
            self._saved = termios.tcgetattr(self._input_fd)  # before Textual switches to raw mode
        except (termios.error, OSError):
            self._saved = None
        for number in HANDLED_SIGNALS:
            self._previous[number] = signal.signal(number, self._on_signal)
        return self

    def __exit__(self, *_: object) -> None:
        self._done.set()
        for number, handler in self._previous.items():
            signal.signal(number, handler)

    def _on_signal(self, number: int, _frame: FrameType | None) -> None:
        status = 128 + number
        if self.status is not None:  # asked twice: do not wait any longer
            self.abandon(self.status)
        self.status = status
        threading.Thread(target=self._watchdog, args=(status,), name="mgtui-exit-watchdog", daemon=True).start()
        try:
            self.loop.call_soon_threadsafe(self.request_exit, status)
        except RuntimeError:  # the loop is closed already: nothing left to ask
            self.abandon(status)

    def _watchdog(self, status: int) -> None:
        if not self._done.wait(GRACE):
            self.abandon(status)

    def give_back(self) -> None:
        """Put the terminal back as Textual would (for when Textual could not)."""
        restore_terminal(self._output_fd, self._input_fd, self._saved)

    def abandon(self, status: int) -> None:
        """Put the terminal back, and end the process now, not waiting for anything."""
        self.give_back()
        exit_now(status)


def restore_terminal(output_fd: int, input_fd: int, saved: list | None) -> None:
    """The terminal as it was before the app: modes off, alternate screen left, settings back."""
    try:
        os.write(output_fd, LEAVE_APP_MODE)  # os.write: no lock that a stuck writer might hold
    except OSError:  # the terminal is gone (SIGHUP): nothing to put back on it
        pass
    if saved is not None:
        try:
            termios.tcsetattr(input_fd, termios.TCSANOW, saved)
        except (termios.error, OSError):
            pass


class _KeyboardOwnedByApp(io.TextIOBase):
    """`sys.stdin` while the app runs: the app reads the keys, so the scenario's code cannot."""

    MESSAGE = "input() cannot read while mgtui's app has the keyboard: a scenario cannot ask for input there"

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> str:
        raise RuntimeError(self.MESSAGE)

    def readline(self, size: int | None = -1) -> str:  # type: ignore[override]
        raise RuntimeError(self.MESSAGE)


@contextmanager
def keyboard_owned_by_app() -> Iterator[None]:
    """Inside: ``input()`` and ``sys.stdin.read()`` raise a clear error (Textual reads the terminal
    through its own file descriptor, not through `sys.stdin`)."""
    saved = sys.stdin
    sys.stdin = _KeyboardOwnedByApp()
    try:
        yield
    finally:
        sys.stdin = saved


def exit_now(status: int) -> None:
    """End the process with `status`, after flushing what was printed, without waiting for threads."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):
            pass
    os._exit(status)
