"""mgtui in a real pseudo-terminal at 80×24, as a user over SSH would run it.

Measures, with the installed ``mgtui`` command:

- start-up: from process start to the first screen (the scenario's title on the terminal);
- the training view on micrograd's moons demo (100 epochs): wall time against the same training
  run headless in this process, bytes written to the terminal per second, and how long a key
  takes to show on screen while epochs run (``l`` switches the loss curve to log scale).

Targets (issues): first paint of a small scenario ≤ 300 ms; moons opens < 1 s; training in the
view ≤ 1.2× headless; ≤ 50 KiB/s at 80×24; keys answered within 100 ms while training runs.

Run: PYTHONPATH=. python benchmarks/pty_bench.py
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import shutil
import statistics
import struct
import sys
import termios
import time

from engine.train import Trainer
from mgtui.scenario import load, resolve

COLUMNS, ROWS = 80, 24


class Terminal:
    """A child process on a pty of 80×24, with everything it writes collected."""

    def __init__(self, *argv: str, env: dict[str, str] | None = None) -> None:
        self.started = time.perf_counter()
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: become the app
            os.execvpe(argv[0], list(argv), {**os.environ, "TERM": "xterm-256color", **(env or {})})
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
        self.output = bytearray()
        self.times: list[tuple[float, int]] = []  # (when, total bytes so far)

    def read_for(self, seconds: float) -> None:
        deadline = time.perf_counter() + seconds
        while (left := deadline - time.perf_counter()) > 0:
            self._read(left)

    def wait_for(self, text: bytes, timeout: float = 30.0, start: int = 0) -> float:
        """Seconds since process start until `text` appears in the output after offset `start`."""
        deadline = time.perf_counter() + timeout
        while text not in self.output[start:]:
            left = deadline - time.perf_counter()
            if left <= 0:
                raise TimeoutError(f"{text!r} did not appear within {timeout} s")
            self._read(left)
        return time.perf_counter() - self.started

    def _read(self, timeout: float) -> None:
        ready, _, _ = select.select([self.fd], [], [], min(timeout, 0.05))
        if ready:
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:
                return
            self.output += chunk
            self.times.append((time.perf_counter(), len(self.output)))

    def send(self, keys: str) -> None:
        os.write(self.fd, keys.encode())

    def close(self) -> None:
        self.send("q")
        self.read_for(0.5)
        try:
            os.kill(self.pid, 9)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        os.close(self.fd)


def startup(command: str, scenario: str, marker: bytes, runs: int = 5) -> list[float]:
    times = []
    for _ in range(runs):
        terminal = Terminal(command, scenario)
        times.append(terminal.wait_for(marker))
        terminal.close()
    return times


def headless_seconds(scenario: str) -> float:
    trainer = Trainer(load(resolve(scenario)).training())
    started = time.perf_counter()
    while not trainer.finished:
        trainer.step()
    return time.perf_counter() - started


def training_in_the_view(command: str, scenario: str) -> dict[str, float]:
    terminal = Terminal(command, scenario, "--train")
    terminal.wait_for(b"loss per epoch")
    opened = time.perf_counter()
    latencies = []
    for _ in range(4):  # a key while epochs run: the loss axis label changes at once
        terminal.read_for(0.6)
        mark = len(terminal.output)
        sent = time.perf_counter()
        terminal.send("l")
        terminal.wait_for(b"(log scale: l)" if len(latencies) % 2 == 0 else b"(l: log scale)", start=mark)
        latencies.append(time.perf_counter() - sent)
    terminal.wait_for(b"finished", timeout=120)
    finished = time.perf_counter()
    first_byte_time = next(t for t, n in terminal.times if t >= opened)
    total = sum(1 for _ in terminal.times)
    bytes_during = len(terminal.output) - next(n for t, n in terminal.times if t >= opened)
    terminal.close()
    return {
        "seconds": finished - opened,
        "bytes per second": bytes_during / max(finished - first_byte_time, 1e-9),
        "key latency median": statistics.median(latencies),
        "key latency max": max(latencies),
        "writes": total,
    }


def main() -> None:
    command = shutil.which("mgtui")
    if command is None:
        sys.exit("install the project first (pip install -e .): this measures the installed mgtui command")
    print(f"mgtui in a pty at {COLUMNS}×{ROWS}; TERM=xterm-256color (256 colours, as over SSH)\n")

    small = startup(command, "expression", b"first expression")
    print(
        f"start-up to first screen, expression (7 nodes):  median {statistics.median(small) * 1e3:.0f} ms"
        f"  (min {min(small) * 1e3:.0f}, max {max(small) * 1e3:.0f}; target ≤ 300 ms)"
    )
    big = startup(command, "moons", b"micrograd's demo", runs=3)
    print(
        f"start-up to first screen, moons (65,818 nodes):  median {statistics.median(big) * 1e3:.0f} ms"
        f"  (target < 1 s; includes building the graph and recording the pass)"
    )

    headless = headless_seconds("moons")
    view = training_in_the_view(command, "moons")
    print(
        f"\nmoons, 100 epochs: headless {headless:.2f} s, in the training view {view['seconds']:.2f} s"
        f" → {view['seconds'] / headless:.2f}× (target ≤ 1.2×)"
    )
    print(f"bytes written while training: {view['bytes per second'] / 1024:.1f} KiB/s (target ≤ 50 KiB/s)")
    print(
        f"key latency while training ('l'): median {view['key latency median'] * 1e3:.0f} ms,"
        f" max {view['key latency max'] * 1e3:.0f} ms (target ≤ 100 ms)"
    )


if __name__ == "__main__":
    main()
