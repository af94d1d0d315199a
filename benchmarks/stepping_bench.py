"""How fast the stepping model is: building a Timeline, moving a Cursor, and a timeline's memory.

Run from the repository root::

    PYTHONPATH=. python benchmarks/stepping_bench.py          # about 15 seconds
    PYTHONPATH=. python benchmarks/stepping_bench.py --quick  # the small graphs only

Targets: building under 1 s for 100k nodes; a move (next / previous) under 1 ms. Per-move figures
are the median, 90th percentile and maximum over many single steps taken all along the timeline
(forward, seed and backward phases, both directions; the maximum is mostly a garbage-collector
pause). "boundary step" is the slowest single step into or out of the start, the forward/backward
boundary and the end. Seeks (median of 5 calls): to the end from the start and back (jumps to a
known state), to the middle (the forward/backward boundary), and to a quarter and three quarters
(the farthest a position can be from a known state: a quarter of a pass to replay).
Memory is what tracemalloc sees allocated by building the timeline (the Value graph not included),
retained and at peak.

This is a report, not a test: nothing here fails when a target is missed.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable

from engine.data import moons
from engine.nn import MLP
from engine.stepping import Cursor, Timeline
from engine.train import Trainer, Training
from engine.value import Value

BUILD_TARGET_S = 1.0  # for 100k nodes
MOVE_TARGET_MS = 1.0


# --- graphs --------------------------------------------------------------------------------------


def mlp_loss(sizes: list[int], samples: int) -> Value:
    """micrograd's demo loss (hinge + L2) of an MLP(2, sizes) on the first `samples` moons points,
    built as the training view builds it (Trainer.loss_graph)."""
    xs, ys = moons(max(samples, 100))
    model = MLP(2, sizes, seed=1337)
    return Trainer(Training(model, xs[:samples], ys[:samples], loss="hinge")).loss_graph()


def deep_chain(depth: int) -> Value:
    """A chain `depth` nodes deep (plus one shared weight), the worst case for recursion."""
    w = Value(0.5, label="w")
    v = Value(0.3, label="x")
    for i in range(depth):
        v = v * w if i % 2 else v.tanh()
    return v


GRAPHS: list[tuple[str, Callable[[], Value], bool]] = [  # name, graph, in --quick
    ("MLP(2,[8,8,1]) hinge, batch 4", lambda: mlp_loss([8, 8, 1], 4), True),
    ("MLP(2,[16,16,1]) hinge, batch 14", lambda: mlp_loss([16, 16, 1], 14), True),
    ("MLP(2,[16,16,1]) hinge, moons() 100", lambda: mlp_loss([16, 16, 1], 100), False),
    ("MLP(2,[16,16,1]) hinge, batch 155", lambda: mlp_loss([16, 16, 1], 155), False),
    ("Chain 100k deep (tanh, * w)", lambda: deep_chain(100_000), False),
]


# --- measuring -----------------------------------------------------------------------------------


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def build_time(output: Value, repeats: int) -> tuple[float, Timeline]:
    times, timeline = [], None
    for _ in range(repeats):
        timeline = None
        gc.collect()
        start = time.perf_counter()
        timeline = Timeline(output)
        times.append(time.perf_counter() - start)
    return min(times), timeline  # type: ignore[return-value]


def memory(output: Value) -> tuple[int, int]:
    """(retained, peak) bytes allocated by building a timeline of `output`."""
    gc.collect()
    tracemalloc.start()
    base, _ = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    timeline = Timeline(output)
    retained, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del timeline
    return retained - base, peak - base


def per_move(timeline: Timeline, moves: int, rng: random.Random) -> tuple[list[float], list[float], list[float]]:
    """Seconds per next(), per previous() and per last_step (describing the step just taken).

    Runs of 50 single steps from random starting points, plus runs across each phase boundary.
    """
    n = len(timeline)
    cursor = Cursor(timeline)
    nexts, previouses, describes = [], [], []
    starts = [rng.randrange(n) for _ in range(max(1, moves // 50))]
    starts += [0, max(0, timeline.seed_step - 25), max(0, n - 25)]  # into and out of each boundary
    clock = time.perf_counter
    for start in starts:
        cursor.seek(start)
        for _ in range(50):
            t0 = clock()
            moved = cursor.next()
            t1 = clock()
            if not moved:
                break
            nexts.append(t1 - t0)
            t0 = clock()
            cursor.last_step  # noqa: B018  # what a UI reads after each move
            describes.append(clock() - t0)
        for _ in range(50):
            t0 = clock()
            moved = cursor.previous()
            t1 = clock()
            if not moved:
                break
            previouses.append(t1 - t0)
    return nexts, previouses, describes


def boundary_steps(timeline: Timeline, repeats: int = 5) -> float:
    """The slowest single step into or out of a phase boundary (start, forward done, end): the
    moves where a copy of a whole known state is at hand (median of `repeats` tries per move)."""
    n, seed = len(timeline), timeline.seed_step
    cursor = Cursor(timeline)
    moves = [(1, "previous"), (0, "next"), (seed - 1, "next"), (seed, "previous"), (seed + 1, "previous")]
    moves += [(seed, "next"), (n - 1, "next"), (n, "previous")]
    worst = 0.0
    for start, move in moves:
        if not 0 <= start <= n:
            continue
        times = []
        for _ in range(repeats):
            cursor.seek(start)
            times.append(timed(getattr(cursor, move)))
        worst = max(worst, statistics.median(times))
    return worst


def seeks(timeline: Timeline, repeats: int = 5) -> dict[str, float]:
    """Seconds per seek (median of `repeats`), each from the position named."""
    n = len(timeline)
    cursor = Cursor(timeline)
    cursor.end()  # the first jump to the end makes the end state once; time the ones after it
    result = {}
    for name, origin, target in [
        ("end", 0, n),
        ("start", n, 0),
        ("middle", 0, n // 2),
        ("quarter", 0, n // 4),
        ("3 quarters", n, 3 * n // 4),
    ]:
        times = []
        for _ in range(repeats):
            cursor.seek(origin)
            times.append(timed(lambda target=target: cursor.seek(target)))
        result[name] = statistics.median(times)
    return result


def percentile(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


# --- the table -----------------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="only the small graphs")
    parser.add_argument("--moves", type=int, default=4000, help="single steps timed per graph and direction")
    args = parser.parse_args()
    sys.setrecursionlimit(10_000)  # nothing here recurses deeply; a RecursionError would be a finding
    rng = random.Random(1337)

    print(f"Python {sys.version.split()[0]}; times in ms unless marked; median / p90 / max over single steps")
    rows = []
    for name, make, quick in GRAPHS:
        if args.quick and not quick:
            continue
        output = make()
        build, timeline = build_time(output, repeats=3)
        nodes = len(timeline.nodes)
        retained, peak = memory(output)
        nexts, previouses, describes = per_move(timeline, args.moves, rng)
        boundary = boundary_steps(timeline)
        jumps = seeks(timeline)
        rows.append((name, nodes, build, retained, peak, nexts, previouses, describes, boundary, jumps))

        print()
        print(f"{name}: {nodes:,} nodes, {len(timeline):,} steps")
        print(f"  build           {build:8.3f} s   ({build / nodes * 1e6:.2f} µs/node)")
        print(
            f"  memory          {retained / 2**20:8.1f} MiB retained, {peak / 2**20:.1f} MiB peak"
            f"   ({retained / nodes:.0f} B/node)"
        )
        for label, xs in (("next()", nexts), ("previous()", previouses), ("last_step", describes)):
            print(
                f"  {label:<15} {ms(statistics.median(xs)):>8} / {ms(percentile(xs, 0.9))} / {ms(max(xs))}"
                f"   ({len(xs)} moves)"
            )
        print(f"  boundary step   {ms(boundary):>8}   (slowest single step into / out of start, forward done, end)")
        print("  seek            " + ", ".join(f"{k} {ms(v)}" for k, v in jumps.items()))

    print()
    print(
        "| graph | nodes | build s | MiB | next med/p90 ms | previous med/p90 ms | boundary step ms "
        "| end / start / middle ms | quarter / 3q ms |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, nodes, build, retained, _, nexts, previouses, _, boundary, jumps in rows:
        print(
            f"| {name} | {nodes:,} | {build:.3f} | {retained / 2**20:.1f} | "
            f"{ms(statistics.median(nexts))} / {ms(percentile(nexts, 0.9))} | "
            f"{ms(statistics.median(previouses))} / {ms(percentile(previouses, 0.9))} | {ms(boundary)} | "
            f"{ms(jumps['end'])} / {ms(jumps['start'])} / {ms(jumps['middle'])} | "
            f"{ms(jumps['quarter'])} / {ms(jumps['3 quarters'])} |"
        )

    print()
    worst_move = max(max(percentile(r[5], 0.9), percentile(r[6], 0.9), r[8]) for r in rows)
    big = [r for r in rows if r[1] >= 100_000]
    if big:
        per_100k = max(r[2] / r[1] * 100_000 for r in big)
        verdict = "met" if per_100k < BUILD_TARGET_S else "MISSED"
        print(f"build target (< {BUILD_TARGET_S} s per 100k nodes): {verdict}, worst {per_100k:.3f} s per 100k nodes")
    verdict = "met" if worst_move * 1e3 < MOVE_TARGET_MS else "MISSED"
    print(
        f"move target (< {MOVE_TARGET_MS} ms, p90 of next/previous and boundary steps): {verdict},"
        f" worst {ms(worst_move)} ms"
    )


if __name__ == "__main__":
    main()
