"""One teacher and a class of followers on this machine: how late each step reaches each student.

    PYTHONPATH=. python benchmarks/classroom_bench.py [--students 100] [--steps 80] [--rate 8]

The teacher is the real app, ``mgtui moons --share SOCKET``, in an 80×24 pty (moons opens on its
first loss graph, the full batch of 66k nodes), and this script presses `n` in it `--rate` times a
second. The students are separate processes (a few, each hosting its share of
followers on threads): each follower decodes every state and moves its own `Cursor` there — the
work the app does per message before painting — and notes when it applied each position.

Printed: the delay from the teacher's key to each follower having applied that step (median, p95,
max), the teacher's own key latency (key sent → its screen shows the step) with the class against
none, and memory: the students' resident size per follower.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from engine.stepping import Cursor, Timeline
from engine.train import Trainer
from mgtui.classroom import Follower, file_sha256
from mgtui.scenario import load, resolve

sys.path.insert(0, str(Path(__file__).parent))
from pty_bench import Terminal


def moons_timeline() -> Timeline:
    """The graph the teacher's app opens: moons' first loss graph (the whole batch)."""
    training = load(resolve("moons")).training()
    return Timeline(Trainer(training).loss_graph())


def rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def students(socket: str, sha: str, count: int, steps: int, results, ready) -> None:
    """A process hosting `count` followers; puts (delays as (position, applied_at)...), rss) on `results`."""
    timeline = moons_timeline()
    applied: list[list[tuple[int, float]]] = [[] for _ in range(count)]
    done = threading.Event()
    remaining = [count]
    lock = threading.Lock()
    followers = []
    for k in range(count):
        cursor = Cursor(timeline)

        def on_state(state: dict, cursor=cursor, log=applied[k]) -> None:
            position = state.get("position")
            if isinstance(position, int):
                cursor.seek(position)
                log.append((position, time.time()))
                if position == steps:
                    with lock:
                        remaining[0] -= 1
                        if remaining[0] == 0:
                            done.set()

        follower = Follower(Path(socket), sha, on_state, lambda connected: None)
        follower.start()
        followers.append(follower)
    ready.put(os.getpid())
    done.wait(timeout=steps + 60)
    rss = rss_mib()
    for follower in followers:
        follower.close()
    results.put(([entry for log in applied for entry in log], rss, count))


def teacher_keys(socket: str | None, steps: int, rate: float) -> tuple[dict[int, float], list[float]]:
    """The real app in a pty, `n` pressed `rate` times a second: when each step's key was sent
    (wall clock, for the students) and how long the teacher's own screen took to show it."""
    share = ["--share", socket] if socket else []
    terminal = Terminal(sys.executable, "-m", "mgtui", "moons", "--no-watch", *share)
    terminal.wait_for(b"step 0/", timeout=60)
    terminal.read_for(1.0)
    sent_at: dict[int, float] = {}
    latencies = []
    period = 1.0 / rate
    due = time.perf_counter()
    for position in range(1, steps + 1):
        due += period
        terminal.read_for(max(0.0, due - time.perf_counter()))
        mark = len(terminal.output)
        started = time.perf_counter()
        sent_at[position] = time.time()
        terminal.send("n")
        terminal.wait_for(f"step {position}/".encode(), start=mark)
        latencies.append(time.perf_counter() - started)
    terminal.close()
    return sent_at, latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--steps", type=int, default=80)
    parser.add_argument("--rate", type=float, default=8.0, help="teacher's steps per second")
    parser.add_argument("--processes", type=int, default=4, help="processes the students are spread over")
    args = parser.parse_args()

    timeline = moons_timeline()
    print(f"moons' first loss graph: {len(timeline.nodes):,} nodes, {len(timeline):,} steps")
    del timeline
    _, alone = teacher_keys(None, args.steps, args.rate)

    folder = tempfile.mkdtemp(prefix="mgtui-class-")
    socket = os.path.join(folder, "class.sock")
    scenario = load(resolve("moons")).path
    results, ready = multiprocessing.Queue(), multiprocessing.Queue()
    shares = [
        args.students // args.processes + (1 if i < args.students % args.processes else 0)
        for i in range(args.processes)
    ]
    workers = [
        multiprocessing.Process(target=students, args=(socket, file_sha256(scenario), n, args.steps, results, ready))
        for n in shares
        if n
    ]
    for worker in workers:
        worker.start()
    for _ in workers:
        ready.get(timeout=300)
    sent_at, with_class = teacher_keys(socket, args.steps, args.rate)
    delays, student_rss, hosted = [], 0.0, 0
    for _ in workers:
        applied, rss, count = results.get(timeout=args.steps + 300)
        delays += [(at - sent_at[position]) * 1000 for position, at in applied if position in sent_at]
        student_rss += rss
        hosted += count
    for worker in workers:
        worker.join()
    os.rmdir(folder)

    delays.sort()
    expected = args.students * args.steps
    print(f"{hosted} followers applied {len(delays):,} of {expected:,} (follower, step) pairs (the rest coalesced)")
    print(
        f"teacher's key → follower applied: median {statistics.median(delays):.1f} ms, "
        f"p95 {delays[int(0.95 * len(delays))]:.1f} ms, max {delays[-1]:.1f} ms (target p95 ≤ 200 ms)"
    )
    a, c = statistics.median(alone) * 1000, statistics.median(with_class) * 1000
    print(f"teacher's key latency: median {a:.1f} ms alone, {c:.1f} ms with the class ({c / a:.2f}×; target ≤ 1.2×)")
    print(f"memory: {student_rss / hosted:.2f} MiB per follower (the student processes' RSS / followers)")


if __name__ == "__main__":
    sys.exit(main())
