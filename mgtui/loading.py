"""Running the scenario's code from the command line: on a thread of its own, with a sign of life.

The user's code (loading the file, ``graph()``, ``training()``, recording its pass, training
headless) may take long, loop forever, raise ``KeyboardInterrupt`` or call ``sys.exit``. So it runs
on a daemon thread while the main thread waits. The main thread then:

- stays free to answer Ctrl+C at once, whatever the code is doing (a loop that swallows
  ``KeyboardInterrupt`` included): the code is abandoned, not waited for;
- tells a Ctrl+C typed by the user (it arrives on the main thread) from a ``KeyboardInterrupt``
  that the code raised (it arrives on the code's thread, and is the scenario's fault);
- after half a second, shows on standard error (a terminal only) what runs, for how long, and
  how to cancel, until the code is done; the line is erased before anything else is printed, and
  for good as soon as the code itself prints or asks for input (then it is visibly alive, and the
  two must not share a line);
- puts back what the code may have changed for the whole process: the standard streams (a
  scenario that sets ``sys.stdout = None``) and a recursion limit lowered below mgtui's needs.
"""

from __future__ import annotations

import io
import shutil
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, TypeVar

from engine.text import printable

T = TypeVar("T")

SHOW_AFTER = 0.5  # seconds before the progress line appears: a quick load shows nothing
TICK = 0.1  # seconds between updates of the elapsed time


class Progress:
    """One line on a terminal saying what the scenario's code is doing, rewritten in place."""

    def __init__(self, name: str, stream: IO | None = None) -> None:
        self.name = printable(name)
        self.stage = "loading"
        self.stream = stream if stream is not None else sys.stderr
        self.shown = False
        self.lock = threading.Lock()  # the line is written from the main thread, stopped from the code's
        try:
            self.enabled = self.stream.isatty()
        except (ValueError, OSError, AttributeError):
            self.enabled = False

    def set_stage(self, stage: str) -> None:
        """What runs now: "running graph()", "recording the pass"... (called from the code's thread)."""
        self.stage = stage

    def show(self, elapsed: float) -> None:
        if not self.enabled or elapsed < SHOW_AFTER:
            return
        line = f"mgtui: {self.name}: {self.stage}… {elapsed:.0f} s (Ctrl+C cancels)"
        width = shutil.get_terminal_size().columns - 1  # a wrapped line could not be rewritten in place
        with self.lock:
            if self.enabled:
                self._write(f"\r\x1b[2K{line[:width]}")
                self.shown = True

    def clear(self) -> None:
        with self.lock:
            if self.shown:
                self._write("\r\x1b[2K")
                self.shown = False

    def stop(self) -> None:
        """The scenario's code uses the terminal itself: erase the line, and show it no more."""
        self.clear()
        self.enabled = False

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):
            self.enabled = False


class _Watched(io.TextIOBase):
    """A standard stream while the scenario's code runs: its first use stops the progress line."""

    def __init__(self, stream: IO, progress: Progress, reads: bool = False) -> None:
        self._stream, self._progress, self._reads = stream, progress, reads

    def write(self, text: str) -> int:
        self._progress.stop()
        return self._stream.write(text)

    def read(self, size: int | None = -1) -> str:
        self._progress.stop()
        return self._stream.read(size)

    def readline(self, size: int | None = -1) -> str:  # type: ignore[override]
        self._progress.stop()
        return self._stream.readline(size)

    def fileno(self) -> int:
        if self._reads:  # so that input() reads through readline above, not past it
            raise io.UnsupportedOperation("fileno")
        return self._stream.fileno()

    def flush(self) -> None:
        self._stream.flush()

    def isatty(self) -> bool:
        return self._stream.isatty()

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream, name)


@contextmanager
def _streams_kept(progress: Progress | None) -> Iterator[None]:
    """The standard streams, watched while the code runs (see `_Watched`) and put back after."""
    streams = sys.stdin, sys.stdout, sys.stderr
    if progress is not None and progress.enabled and all(s is not None for s in streams):
        sys.stdin = _Watched(sys.stdin, progress, reads=True)
        sys.stdout, sys.stderr = _Watched(sys.stdout, progress), _Watched(sys.stderr, progress)
    try:
        yield
    finally:
        sys.stdin, sys.stdout, sys.stderr = streams


def run_users_code(
    job: Callable[[], T],
    progress: Progress | None = None,
    unexpected: Callable[[BaseException], BaseException] | None = None,
) -> T:
    """`job()`, run on a daemon thread; its result, or what it raised, raised here.

    What the job raised that is not an `Exception` (``SystemExit``, a ``KeyboardInterrupt`` of the
    code's own, a bare ``BaseException``) is turned into `unexpected(error)` when given, since here
    it can only come from the scenario's code. A Ctrl+C on the main thread raises KeyboardInterrupt
    here while the job is left running (the caller ends the process without waiting for it).
    """
    outcome: list[tuple[bool, object]] = []
    done = threading.Event()

    limit = sys.getrecursionlimit()

    def work() -> None:
        try:
            outcome.append((True, job()))
        except BaseException as error:  # handed to the main thread, which decides what it means
            outcome.append((False, error))
        finally:
            # Put back here, on this thread's shallow stack: a limit lowered below the depth of
            # any other thread would make its next call raise RecursionError.
            if sys.getrecursionlimit() < limit:  # raising it is theirs to keep (a recursive build_topo)
                sys.setrecursionlimit(limit)
            done.set()

    started = time.monotonic()
    with _streams_kept(progress):
        threading.Thread(target=work, name="mgtui-scenario", daemon=True).start()
        try:
            while not done.wait(TICK):
                if progress is not None:
                    progress.show(time.monotonic() - started)
        finally:
            if progress is not None:
                progress.clear()
    succeeded, value = outcome[0]
    if succeeded:
        return value  # type: ignore[return-value]
    error = value
    assert isinstance(error, BaseException)
    if not isinstance(error, Exception) and unexpected is not None:
        raise unexpected(error) from None
    raise error.with_traceback(error.__traceback__)
