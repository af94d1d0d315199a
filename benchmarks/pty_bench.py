"""mgtui in a real pseudo-terminal at 80×24, as a user over SSH would run it.

Measures, with the installed ``mgtui`` command:

- start-up: from process start to the first screen (the scenario's title on the terminal);
- the training view on micrograd's moons demo (100 epochs) at full speed (``--pace max``): wall
  time from space (opened ``--paused``) to "finished" against the same training run headless in
  this process (medians of interleaved runs);
- bytes per second while tiny_mlp and moons train at their default pace (every epoch painted);
- on a moons run of a million epochs (replayed from a tape, the demo's 100 are over in about a
  second, too soon for a steady rate or a key): bytes written to the terminal per second while
  training, and how long a key takes to show on screen (``l`` switches the loss curve to log scale).

Targets (issues): first paint of a small scenario ≤ 300 ms; moons opens < 1 s; training in the
view ≤ 1.2× headless; ≤ 50 KiB/s at 80×24; keys answered within 100 ms while training runs.

Run: PYTHONPATH=. python benchmarks/pty_bench.py [--runs 3]
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import select
import shutil
import statistics
import struct
import sys
import tempfile
import termios
import textwrap
import time
from pathlib import Path

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


def training_in_the_view(command: str, scenario: str) -> float:
    """Seconds from space (the view open and paused) to its "finished", at full speed, no other key."""
    terminal = Terminal(command, scenario, "--train", "--paused", "--pace", "max")
    terminal.wait_for(b"loss per epoch")
    terminal.read_for(0.5)  # the first map drawn: the view is idle
    mark = len(terminal.output)
    opened = time.perf_counter()
    terminal.send(" ")
    terminal.wait_for(b"finished", timeout=120, start=mark)
    finished = time.perf_counter()
    terminal.close()
    return finished - opened


LONG_MOONS = textwrap.dedent(
    """
    \"\"\"moons for a million epochs: still training whenever a key comes\"\"\"
    from engine.data import moons
    from engine.nn import MLP
    from engine.train import Training

    def training():
        xs, ys = moons()
        return Training(MLP(2, [16, 16, 1], seed=1337), xs, ys, loss="hinge", learning_rate=0.05, epochs=1_000_000)
    """
)


def while_training(command: str, seconds: float = 3.0) -> tuple[float, list[float]]:
    """Bytes per second written over `seconds` of steady training, then four keys' latencies."""
    with tempfile.TemporaryDirectory() as directory:
        scenario = Path(directory) / "long_moons.py"
        scenario.write_text(LONG_MOONS, encoding="utf-8")
        terminal = Terminal(command, str(scenario), "--train", "--pace", "max")
        terminal.wait_for(b"loss per epoch")
        terminal.read_for(1.0)  # past the first epoch's real graph and the first boundary map
        mark, started = len(terminal.output), time.perf_counter()
        terminal.read_for(seconds)
        rate = (len(terminal.output) - mark) / (time.perf_counter() - started)
        latencies = []
        for _ in range(4):  # a key while epochs run: the loss axis label changes at once
            terminal.read_for(0.6)
            mark = len(terminal.output)
            sent = time.perf_counter()
            terminal.send("l")
            terminal.wait_for(b"(log scale: l)" if len(latencies) % 2 == 0 else b"(l: log scale)", start=mark)
            latencies.append(time.perf_counter() - sent)
        terminal.close()
    return rate, latencies


def paced_bytes(command: str, scenario: str, seconds: float = 3.0) -> float:
    """Bytes per second written while `scenario` trains at its default pace (every epoch painted)."""
    terminal = Terminal(command, scenario, "--train")
    terminal.wait_for(b"loss per epoch")
    terminal.read_for(0.5)
    mark, started = len(terminal.output), time.perf_counter()
    terminal.read_for(seconds)
    rate = (len(terminal.output) - mark) / (time.perf_counter() - started)
    terminal.close()
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="interleaved headless/view runs of moons (default 3)")
    args = parser.parse_args()
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

    headless, view = [], []
    for r in range(args.runs):  # interleaved, the first one alternating
        for which in ("headless", "view") if r % 2 == 0 else ("view", "headless"):
            if which == "headless":
                headless.append(headless_seconds("moons"))
            else:
                view.append(training_in_the_view(command, "moons"))
    h, v = statistics.median(headless), statistics.median(view)
    print(
        f"\nmoons, 100 epochs ({args.runs} interleaved runs, medians): headless {h:.2f} s, in the training view"
        f" {v:.2f} s → {v / h:.2f}× (target ≤ 1.2×)"
    )
    print(f"  headless {', '.join(f'{x:.2f}' for x in headless)} s; view {', '.join(f'{x:.2f}' for x in view)} s")
    for scenario, pace in (("tiny_mlp", "5"), ("moons", "20")):
        rate = paced_bytes(command, scenario)
        print(f"{scenario} at its default pace ({pace} epochs/s): {rate / 1024:.1f} KiB/s written (target ≤ 50 KiB/s)")
    rate, latencies = while_training(command)
    print(f"a million-epoch moons run in the view: {rate / 1024:.1f} KiB/s written while training (target ≤ 50 KiB/s)")
    print(
        f"key latency while training ('l'): median {statistics.median(latencies) * 1e3:.0f} ms,"
        f" max {max(latencies) * 1e3:.0f} ms (target ≤ 100 ms)"
    )


if __name__ == "__main__":
    main()
