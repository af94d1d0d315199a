"""Recording a learner's own pass against micrograd's own backward(), on micrograd's moons loss graph.

    PYTHONPATH=. python benchmarks/observe_bench.py [--rounds 7] [--moves 5000]

The graph is the demo's full-batch loss (65,818 nodes) built with micrograd 0.1.0's own `Value`
and `nn.MLP` after ``random.seed(1337)``. Each round builds a fresh graph and, on it, times:

- micrograd's own ``loss.backward()`` (its recursive topological sort, then every closure): the
  reference, run first on its graph;
- mgtui's recording of the same pass on a second, identical graph, phase by phase: the walk (a
  deterministic topological order, operand order read from the closures), the run (zero the grads,
  seed, call every ``_backward`` of theirs while noting each grad write), the replay (writes → the
  timeline's edges) and the judgement of every step against the op table; and the whole
  ``Timeline(loss)`` as the app builds it.

Medians over the rounds and each phase's ratio to micrograd's backward, measured side by side in
one process. Then stepping on that timeline: ``Cursor.next``/``previous`` over the whole pass, each
move timed (median, p99, max), and a few long seeks.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import time

from engine.data import moons
from engine.foreign import walk
from engine.judge import judge
from engine.observe import _values, replay, run_backward
from engine.stepping import Cursor, Timeline

try:
    from micrograd.engine import Value
    from micrograd.nn import MLP
except ImportError:  # pip install micrograd==0.1.0 (the "bench" extra)
    sys.exit("observe_bench needs micrograd 0.1.0: pip install -e '.[bench]'")


def moons_loss(model: MLP, xs, ys) -> Value:
    """The demo's loss, spelled as the demo spells it."""
    inputs = [list(map(Value, row)) for row in xs]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * si).relu() for yi, si in zip(ys, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum(p * p for p in model.parameters())
    return data_loss + reg_loss


def timed(function, *args):
    start = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - start, result


def one_round(model: MLP, xs, ys) -> dict[str, float]:
    times: dict[str, float] = {}
    reference = moons_loss(model, xs, ys)
    times["micrograd backward()"], _ = timed(reference.backward)
    observed = moons_loss(model, xs, ys)
    gc.disable()  # as record_observed_pass does around these phases
    try:
        times["walk"], shape = timed(walk, observed)
        computed = [i for i, operands in enumerate(shape.operands) if operands]
        times["run (their _backward, observed)"], log = timed(run_backward, shape, computed)
        times["replay into edges"], recording = timed(replay, shape, _values(shape), computed, log)
        times["judge every step"], findings = timed(judge, recording, log)
    finally:
        gc.enable()
    assert not findings, "micrograd's own Value should follow the chain rule everywhere"
    times["Timeline(loss), all of it"], timeline = timed(Timeline, observed)
    times["nodes"] = len(timeline.nodes)
    gc.collect()
    return times


def stepping(model: MLP, xs, ys, moves: int) -> None:
    timeline = Timeline(moons_loss(model, xs, ys))
    cursor = Cursor(timeline, timeline.seed_step - moves // 4)
    durations = []
    for _ in range(moves // 2):
        elapsed, _ = timed(cursor.next)
        durations.append(elapsed)
    for _ in range(moves // 2):
        elapsed, _ = timed(cursor.previous)
        durations.append(elapsed)
    durations.sort()
    ms = [d * 1000 for d in durations]
    print(
        f"\nstepping the observed timeline ({len(timeline):,} steps), {len(ms)} moves next/previous:"
        f" median {statistics.median(ms):.4f} ms, p99 {ms[int(len(ms) * 0.99)]:.4f} ms, max {ms[-1]:.3f} ms"
    )
    seeks = []
    for target in (len(timeline), 0, timeline.seed_step + len(timeline) // 4 * 3 // 2, len(timeline) // 3):
        elapsed, _ = timed(cursor.seek, target)
        seeks.append(f"{elapsed * 1000:.2f}")
    print(f"long seeks (to the end, the start, ¾ through backward, ⅓ in): {', '.join(seeks)} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--moves", type=int, default=5000)
    args = parser.parse_args()
    sys.setrecursionlimit(10_000)  # micrograd's recursive topological sort on this graph
    random.seed(1337)
    xs, ys = moons()
    model = MLP(2, [16, 16, 1])
    rounds = [one_round(model, xs, ys) for _ in range(args.rounds)]
    nodes = int(rounds[0].pop("nodes"))
    for r in rounds[1:]:
        r.pop("nodes")
    medians = {name: statistics.median(r[name] for r in rounds) for name in rounds[0]}
    reference = medians["micrograd backward()"]
    print(f"micrograd's moons loss graph, {nodes:,} nodes; medians of {args.rounds} rounds")
    print(f"{'':36} {'ms':>8} {'× micrograd backward()':>24}")
    for name, seconds in medians.items():
        print(f"{name:36} {seconds * 1000:8.1f} {seconds / reference:24.2f}")
    recorded = sum(medians[name] for name in ("walk", "run (their _backward, observed)", "replay into edges"))
    print(f"{'recording (walk + run + replay)':36} {recorded * 1000:8.1f} {recorded / reference:24.2f}")
    stepping(model, xs, ys, args.moves)


if __name__ == "__main__":
    main()
