"""Graph view speed under Textual's pilot at 80×24: start-up to first paint and the cost of a step.

For each graph size: the time to record the timeline, to mount the app and paint its first
screen, and per step (``n`` and ``p``, in the forward and in the backward pass) the CPU time the
app spends handling the key and repainting, with the CPU time of a key bound to nothing
subtracted (the pilot's own overhead). Targets (issue):
66k-node moons graph opens in < 1 s; a step ≤ 20 ms median, ≤ 35 ms p90 at 10k and 100k nodes.

Then the lecture's picture (v) for small graphs: the time to lay a graph out (once per graph) and
the per-step CPU time with the picture shown, measured the same way. Target (issue 14): a step
≤ 20 ms median at 40 values.

Run: PYTHONPATH=. python benchmarks/ui_bench.py [--picture]
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from pathlib import Path

from engine import Value
from engine.data import moons
from engine.nn import MLP
from engine.stepping import Timeline
from engine.train import Trainer, Training
from mgtui.app import MgtuiApp
from mgtui.picture_draw import PictureLayout
from mgtui.scenario import Scenario
from mgtui.session import Session

STEPS = 40
LAYOUT_RUNS = 7


def moons_loss(samples: int) -> Value:
    xs, ys = moons(n_samples=max(100, samples), noise=0.1, seed=1337)
    model = MLP(2, [16, 16, 1], seed=1337)
    training = Training(model, xs[:samples], ys[:samples], loss="hinge", learning_rate=0.1, epochs=1)
    return Trainer(training).loss_graph()


def chain(depth: int) -> Value:
    x = Value(0.5, label="x")
    for _ in range(depth // 2):
        x = (x * 1.0001).tanh()
    return x


def session_for(output: Value, title: str) -> tuple[Session, float]:
    scenario = Scenario(Path(f"{title}.py"), title, "", lambda: output, None)
    started = time.perf_counter()
    timeline = Timeline(output)
    return Session(scenario, timeline, None), time.perf_counter() - started


async def measure(session: Session) -> tuple[float, list[float], list[float]]:
    started = time.perf_counter()
    app = MgtuiApp(session)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        first_paint = time.perf_counter() - started

        async def cpu_of(key: str) -> float:
            cpu = time.process_time()
            await pilot.press(key)
            await pilot.pause()
            return time.process_time() - cpu

        for _ in range(3):  # warm caches
            await cpu_of("n")
        idle = [await cpu_of("x") for _ in range(STEPS)]
        forward = [await cpu_of(key) for key in ["n"] * (STEPS // 4) + ["p"] * (STEPS // 4)]
        await cpu_of("right_square_bracket")  # to the backward pass: deeper nodes, re-rooting
        backward = [await cpu_of(key) for key in ["n"] * (STEPS // 4) + ["p"] * (STEPS // 4)]
        steps = forward + backward
    baseline = statistics.median(idle)
    return first_paint, [max(0.0, s - baseline) for s in steps], idle


def mlp_sample(nin: int, nouts: list[int]) -> Value:
    """One sample through MLP(nin, nouts) with tanh and its squared error: the lecture's net, small."""
    model = MLP(nin, nouts, activation="tanh", seed=1337)
    prediction = model([Value((i + 1) / 3, label=f"x{i}") for i in range(nin)])
    loss = (prediction - 1.0) ** 2
    loss.label = "loss"
    return loss


def lecture_neuron() -> Value:
    from mgtui.scenario import load, resolve

    return load(resolve("neuron")).graph()


def layout_time(timeline: Timeline) -> tuple[float, PictureLayout]:
    """Median wall time to lay the graph out and draw it in the compact form (what v costs once)."""
    times = []
    for _ in range(LAYOUT_RUNS):
        started = time.perf_counter()
        layout = PictureLayout.of(timeline)
        layout.drawing("compact")
        times.append(time.perf_counter() - started)
    return statistics.median(times), layout


async def measure_picture(session: Session) -> tuple[list[float], list[float]]:
    """CPU per step (n and p, forward and backward) with the picture shown, the pilot's idle cost subtracted."""
    app = MgtuiApp(session)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("v")
        await pilot.pause()

        async def cpu_of(key: str) -> float:
            cpu = time.process_time()
            await pilot.press(key)
            await pilot.pause()
            return time.process_time() - cpu

        for _ in range(3):
            await cpu_of("n")
        idle = [await cpu_of("x") for _ in range(STEPS)]
        forward = [await cpu_of(key) for key in ["n"] * (STEPS // 4) + ["p"] * (STEPS // 4)]
        await cpu_of("right_square_bracket")
        backward = [await cpu_of(key) for key in ["n"] * (STEPS // 4) + ["p"] * (STEPS // 4)]
    baseline = statistics.median(idle)
    return [max(0.0, s - baseline) for s in forward + backward], idle


def picture_main() -> None:
    cases = [
        ("neuron (lecture)", lecture_neuron),
        ("MLP(2,[3,1]) 1 sample", lambda: mlp_sample(2, [3, 1])),
        ("MLP(3,[4,4,1]) 1 sample", lambda: mlp_sample(3, [4, 4, 1])),
    ]
    print()
    print(f"{'picture':<24} {'values':>7} {'layout':>8} {'size':>9} {'step med':>9} {'step p90':>9} {'pilot idle':>10}")
    for title, build in cases:
        session, _ = session_for(build(), title)
        layout_seconds, layout = layout_time(session.timeline)
        drawing = layout.drawing("compact")
        steps, idle = asyncio.run(measure_picture(session))
        print(
            f"{title:<24} {len(session.timeline.nodes):>7} {layout_seconds * 1e3:>6.1f}ms "
            f"{f'{drawing.width}×{drawing.height}':>9} {statistics.median(steps) * 1e3:>7.1f}ms "
            f"{percentile(steps, 0.9) * 1e3:>7.1f}ms {statistics.median(idle) * 1e3:>8.1f}ms"
        )
    sys.stdout.flush()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    cases = [
        ("moons, 1 sample", lambda: moons_loss(1)),
        ("moons, 10 samples", lambda: moons_loss(10)),
        ("moons, 100 samples", lambda: moons_loss(100)),
        ("moons, 152 samples", lambda: moons_loss(152)),
        ("tanh chain, 5,000 deep", lambda: chain(5000)),
    ]
    print(
        f"{'graph':<24} {'nodes':>8} {'record':>8} {'1st paint':>10} {'step med':>9} {'step p90':>9} {'pilot idle':>10}"
    )
    for title, build in cases:
        output = build()
        session, record = session_for(output, title)
        first_paint, steps, idle = asyncio.run(measure(session))
        print(
            f"{title:<24} {len(session.timeline.nodes):>8,} {record * 1e3:>6.0f}ms {first_paint * 1e3:>8.0f}ms "
            f"{statistics.median(steps) * 1e3:>7.1f}ms {percentile(steps, 0.9) * 1e3:>7.1f}ms "
            f"{statistics.median(idle) * 1e3:>8.1f}ms"
        )
    sys.stdout.flush()


if __name__ == "__main__":
    if "--picture" not in sys.argv:  # --picture: only the picture's figures
        main()
    picture_main()
