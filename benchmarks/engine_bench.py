"""The engine against micrograd 0.1.0 on micrograd's own moons demo step, in one process, interleaved.

    PYTHONPATH=. python benchmarks/engine_bench.py [--steps 8] [--runs 3] [--chain-depth 1000000]

Whole runs: micrograd's 100 moons epochs end to end through `Trainer` — replayed from a tape in pure
Python, replayed with numpy, and rebuilding the graph every epoch — plus micrograd 0.1.0 (a few of its
steps, times 100), rotating which goes first in each of ``--runs`` rounds. The three engine runs must
give the same loss at every epoch and the same final weights, bit for bit. Targets (issue 13): tape in
pure Python ≤ 2 s including the first real epoch and the recording (≥ 60× micrograd), numpy ≤ 1 s.

Both sides run the demo's code, spelled once for either Value class: the 100 moons points wrapped as
Values, ``scores = model(x)``, the max-margin loss plus ``1e-4 · Σ p²``, ``model.zero_grad()``,
``backward()``, and SGD with ``lr = 1.0 - 0.9*k/100``, on ``MLP(2, [16, 16, 1])`` after
``random.seed(1337)``. The steps alternate between the two libraries (which goes first alternates
too), and every step's loss must agree to 1e-9 relative.

Garbage collection, fairly: micrograd's ``_backward`` closures put each node in a reference cycle, so
its graphs are freed only by the cycle collector. Every timed step therefore runs from a collected
heap and its time includes ``gc.collect()`` after the graph is dropped, so each library pays for
exactly its own garbage (the collection share is shown separately).

Memory: tracemalloc (current and peak Python allocations) for one full-batch moons loss graph, after
the forward pass and after backward. The million-deep chain runs in a fresh subprocess, measured by
its wall clock and its peak resident set size: ``VmHWM`` from ``/proc/self/status`` (the kernel's
high-water mark of this process image). ``resource.getrusage().ru_maxrss`` is only the fallback where
there is no /proc: on Linux a child's ru_maxrss starts at its parent's RSS at fork time, so in a
subprocess of this (by then large) benchmark it would overstate a small peak.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import statistics
import subprocess
import sys
import textwrap
import time
import tracemalloc
from dataclasses import dataclass, field
from pathlib import Path

from engine import Value
from engine.data import moons
from engine.nn import MLP
from engine.train import Trainer, Training

try:
    from micrograd.engine import Value as MicrogradValue
    from micrograd.nn import MLP as MicrogradMLP
except ImportError:  # pip install micrograd==0.1.0 (the "bench" extra)
    MicrogradValue = MicrogradMLP = None

ALPHA = 1e-4  # the demo's L2 weight
MIB = 1024 * 1024
TARGETS = {"engine graph": 10 * MIB, "chain seconds": 3.0, "chain peak": 400 * MIB}
RUN_TARGETS = {"tape (python)": 2.0, "tape (numpy)": 1.0}  # seconds for the whole 100-epoch run
MICROGRAD_RATIO_TARGET = 60.0  # micrograd's extrapolated run / the pure-Python tape's
EPOCHS = 100


@dataclass
class Side:
    name: str
    value: type
    mlp: type
    model: object = None
    losses: list[float] = field(default_factory=list)
    accuracies: list[float] = field(default_factory=list)
    step_times: list[float] = field(default_factory=list)  # the step, then collecting its garbage
    gc_times: list[float] = field(default_factory=list)  # of which the gc.collect() after it

    def new_model(self):
        random.seed(1337)
        return self.mlp(2, [16, 16, 1])


# --- micrograd's demo, written once for either library ------------------------------------------


def demo_loss(Value, model, X, y):
    """demo.ipynb's loss(): SVM max-margin data loss plus L2 regularisation, and the accuracy."""
    inputs = [list(map(Value, xrow)) for xrow in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = ALPHA * sum(p * p for p in model.parameters())
    total_loss = data_loss + reg_loss
    accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(y, scores)]
    return total_loss, sum(accuracy) / len(accuracy)


def demo_step(Value, model, X, y, k):
    """One optimisation step of demo.ipynb: forward, zero_grad, backward, SGD. Returns plain floats,
    so the graph is dropped when this returns."""
    total_loss, acc = demo_loss(Value, model, X, y)
    model.zero_grad()
    total_loss.backward()
    learning_rate = 1.0 - 0.9 * k / 100
    for p in model.parameters():
        p.data -= learning_rate * p.grad
    return total_loss.data, acc


def timed_step(side: Side, X, y, k: int) -> None:
    gc.collect()  # untimed: nobody pays for garbage that is not theirs
    start = time.perf_counter()
    loss, acc = demo_step(side.value, side.model, X, y, k)
    stepped = time.perf_counter()
    gc.collect()  # the graph is unreachable now: collect what this library left behind
    end = time.perf_counter()
    side.losses.append(loss)
    side.accuracies.append(acc)
    side.step_times.append(end - start)
    side.gc_times.append(end - stepped)


# --- whole runs: 100 epochs, tape vs rebuild vs micrograd ----------------------------------------------


def demo_training() -> Training:
    """The demo as a Training: the same data, initial weights, loss and schedule as `demo_step`."""
    xs, ys = moons()
    model = MLP(2, [16, 16, 1], seed=1337)  # a Random(1337) of its own: the same draws as random.seed(1337)
    return Training(model, xs, ys, loss="hinge", learning_rate=lambda k: 1.0 - 0.9 * k / 100, epochs=EPOCHS)


def engine_run(tape: str) -> dict:
    """All 100 epochs through `Trainer`, from a collected heap, timed end to end (the first, real
    epoch and the recording of the tape included)."""
    gc.collect()
    start = time.perf_counter()
    trainer = Trainer(demo_training(), tape=tape)
    losses = [trainer.step().loss for _ in range(EPOCHS)]
    seconds = time.perf_counter() - start
    ran = "rebuild" if trainer.replay is None else trainer.replay.kind
    weights = [p.data for p in trainer.parameters]
    return {"seconds": seconds, "losses": losses, "weights": weights, "ran": ran, "note": trainer.tape_note}


def micrograd_run(X, y, steps: int) -> dict:
    """A few of micrograd's steps from the start, each timed with its own garbage; times 100."""
    side = Side("micrograd", MicrogradValue, MicrogradMLP)
    side.model = side.new_model()
    for k in range(steps):
        timed_step(side, X, y, k)
    step = statistics.median(side.step_times)
    return {"seconds": step * EPOCHS, "step": step, "losses": side.losses}


def whole_runs(X, y, rounds: int, micrograd_steps: int) -> dict[str, list[dict]]:
    kinds = ["tape (python)", "tape (numpy)", "rebuild"]
    try:
        import numpy  # noqa: F401
    except ImportError:
        kinds.remove("tape (numpy)")
        print("numpy is not installed (pip install -e '.[fast]'): no numpy replay.\n")
    if MicrogradValue is not None:
        kinds.append("micrograd")
    tape_of = {"tape (python)": "python", "tape (numpy)": "numpy", "rebuild": "off"}
    print(f"whole runs: {EPOCHS} moons epochs end to end, {rounds} rounds, rotating which goes first")
    print(f"(micrograd: {micrograd_steps} steps from the start, median step × {EPOCHS})\n")
    header = f"{'round':>5} | " + " | ".join(f"{kind:>15}" for kind in kinds)
    print(header)
    print("-" * len(header))
    results: dict[str, list[dict]] = {kind: [] for kind in kinds}
    for r in range(rounds):
        order = kinds[r % len(kinds) :] + kinds[: r % len(kinds)]
        for kind in order:
            run = micrograd_run(X, y, micrograd_steps) if kind == "micrograd" else engine_run(tape_of[kind])
            results[kind].append(run)
        print(f"{r:>5} | " + " | ".join(f"{results[kind][-1]['seconds']:>13.2f} s" for kind in kinds))
    print()
    return results


def report_whole_runs(results: dict[str, list[dict]]) -> tuple[bool, list[tuple[str, str, str, str]]]:
    """Check the runs agree, print medians and ratios; returns (agree, summary rows)."""
    reference = results["rebuild"][0]
    engine_runs = [run for kind, runs in results.items() if kind != "micrograd" for run in runs]
    same = all(run["losses"] == reference["losses"] and run["weights"] == reference["weights"] for run in engine_runs)
    for kind, runs in results.items():
        expected = {"tape (python)": "python", "tape (numpy)": "numpy", "rebuild": "rebuild"}.get(kind)
        if expected is not None and any(run["ran"] != expected for run in runs):
            print(f"  {kind}: ran as {runs[0]['ran']!r}, not {expected!r}: {runs[0]['note']}")
            same = False
    print(f"every epoch's loss and every final weight equal (==), tape and rebuild, every round: {same}")
    if "micrograd" in results:
        steps = results["micrograd"][0]["losses"]
        agree = all(abs(m - e) <= 1e-9 * abs(m) for m, e in zip(steps, reference["losses"]))
        print(f"micrograd's first {len(steps)} losses agree with the engine's (rel 1e-9): {agree}")
        same = same and agree
    medians = {kind: statistics.median(run["seconds"] for run in runs) for kind, runs in results.items()}
    rows = []
    for kind, seconds in medians.items():
        ratios = []
        if "micrograd" in medians and kind != "micrograd":
            ratios.append(f"micrograd/this {medians['micrograd'] / seconds:.0f}x")
        if kind.startswith("tape"):
            ratios.append(f"rebuild/this {medians['rebuild'] / seconds:.1f}x")
        target = RUN_TARGETS.get(kind)
        if target is not None:
            ratios.append(f"target <= {target:g} s: {verdict(seconds <= target)}")
        if kind == "tape (python)" and "micrograd" in medians:
            ok = medians["micrograd"] / seconds >= MICROGRAD_RATIO_TARGET
            ratios.append(f">= {MICROGRAD_RATIO_TARGET:.0f}x micrograd: {verdict(ok)}")
        label = f"{EPOCHS} epochs, {kind}" + (" (extrapolated)" if kind == "micrograd" else "")
        figure = f"{seconds:.2f} s"
        rows.append((label, "", figure, "") if kind == "micrograd" else (label, figure, "", "; ".join(ratios)))
        print(f"  median {label:<36} {seconds:7.2f} s   {'; '.join(ratios)}".rstrip())
    print()
    return same, rows


# --- memory of one moons loss graph -------------------------------------------------------------------


def count_nodes(root) -> int:
    seen, stack = {id(root)}, [root]
    while stack:
        for child in stack.pop()._prev:
            if id(child) not in seen:
                seen.add(id(child))
                stack.append(child)
    return len(seen)


def graph_memory(side: Side, X, y) -> dict[str, float]:
    model = side.new_model()
    gc.collect()
    tracemalloc.start()
    total_loss, _ = demo_loss(side.value, model, X, y)
    forward_current, forward_peak = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    model.zero_grad()
    total_loss.backward()
    backward_current, backward_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    nodes = count_nodes(total_loss)
    del total_loss
    gc.collect()
    return {
        "nodes": nodes,
        "forward current": forward_current,
        "forward peak": forward_peak,
        "backward current": backward_current,
        "backward peak": backward_peak,
    }


# --- the million-deep chain, in a fresh process ------------------------------------------------------

CHAIN_SCRIPT = textwrap.dedent(
    """
    import json, resource, sys, time
    from engine import Value

    def peak_rss():
        try:
            with open("/proc/self/status") as status:
                for line in status:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1]) * 1024, "VmHWM"
        except OSError:
            pass
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, "ru_maxrss"

    depth = int(sys.argv[1])
    baseline, _ = peak_rss()
    start = time.perf_counter()
    x = Value(1.0)
    y = x
    for _ in range(depth // 2):  # alternating * and +: depth op nodes, each with a constant leaf
        y = y * 1.0000001
        y = y + 0.0
    built = time.perf_counter()
    limit = sys.getrecursionlimit()
    y.backward()
    done = time.perf_counter()
    peak, source = peak_rss()
    expected = 1.0000001 ** (depth // 2)
    del y
    freed = time.perf_counter()
    print(json.dumps({
        "build": built - start, "backward": done - built, "free": freed - done,
        "peak": peak, "baseline": baseline, "source": source, "grad": x.grad, "expected": expected,
        "recursion limit unchanged": sys.getrecursionlimit() == limit,
    }))
    """
)


def deep_chain(depth: int) -> dict:
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))}
    result = subprocess.run(
        [sys.executable, "-c", CHAIN_SCRIPT, str(depth)], capture_output=True, text=True, env=env, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"the chain subprocess failed:\n{result.stderr}")
    return json.loads(result.stdout)


def micrograd_chain_fails(depth: int = 5_000) -> str:
    x = MicrogradValue(1.0)
    y = x
    for _ in range(depth // 2):
        y = y * 1.0000001 + 0.0
    try:
        y.backward()
    except RecursionError:
        return f"RecursionError at depth {depth:,} (recursive build_topo)"
    finally:
        del y
        gc.collect()
    return f"backward worked at depth {depth:,}"


# --- reporting -----------------------------------------------------------------------------------------


def mib(n: float) -> str:
    return f"{n / MIB:8.1f} MiB"


def verdict(ok: bool) -> str:
    return "ok" if ok else "OVER TARGET"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=8, help="demo steps per library (default 8)")
    parser.add_argument("--runs", type=int, default=3, help="rounds of whole 100-epoch runs (default 3; 0: none)")
    parser.add_argument("--micrograd-steps", type=int, default=3, help="micrograd steps per round (default 3)")
    parser.add_argument("--chain-depth", type=int, default=1_000_000, help="ops in the deep chain (default 1e6)")
    args = parser.parse_args()

    X, y = moons()
    sides = [Side("engine", Value, MLP)]
    if MicrogradValue is None:
        print("micrograd is not installed (pip install micrograd==0.1.0): timing the engine alone, no ratio.\n")
    else:
        sides.append(Side("micrograd", MicrogradValue, MicrogradMLP))
    for side in sides:
        side.model = side.new_model()
    if len(sides) == 2:
        same_init = [p.data for p in sides[0].model.parameters()] == [p.data for p in sides[1].model.parameters()]
        print(f"same initial parameters after random.seed(1337): {same_init}")
        assert same_init

    how = "per library, interleaved" if len(sides) == 2 else "(engine only)"
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; {args.steps} moons steps {how}\n")
    header = f"{'step':>4} | {'engine ms':>9} | {'(gc)':>6}"
    if len(sides) == 2:
        header += f" | {'micrograd ms':>12} | {'(gc)':>6} | {'ratio':>6} | {'engine loss':>20} | {'rel diff':>8}"
    else:
        header += f" | {'engine loss':>20}"
    print(header)
    print("-" * len(header))
    mismatches = []
    for k in range(args.steps):
        for side in sides if k % 2 == 0 else sides[::-1]:
            timed_step(side, X, y, k)
        engine = sides[0]
        row = f"{k:>4} | {engine.step_times[k] * 1e3:9.1f} | {engine.gc_times[k] * 1e3:6.1f}"
        if len(sides) == 2:
            mg = sides[1]
            rel = abs(engine.losses[k] - mg.losses[k]) / abs(mg.losses[k])
            if rel > 1e-9 or engine.accuracies[k] != mg.accuracies[k]:
                mismatches.append(k)
            ratio = mg.step_times[k] / engine.step_times[k]
            row += f" | {mg.step_times[k] * 1e3:12.1f} | {mg.gc_times[k] * 1e3:6.1f} | {ratio:5.1f}x"
            row += f" | {engine.losses[k]!r:>20} | {rel:8.1e}"
        else:
            row += f" | {engine.losses[k]!r:>20}"
        print(row)
    print()

    medians = {side.name: statistics.median(side.step_times) for side in sides}
    gc_medians = {side.name: statistics.median(side.gc_times) for side in sides}
    if len(sides) == 2:
        same = not mismatches
        print(f"losses and accuracies agree at every step (rel tol 1e-9): {same}")
        if not same:
            print(f"  mismatching steps: {mismatches}")
    print(f"step 0 loss {sides[0].losses[0]!r}, accuracy {sides[0].accuracies[0]:.0%} (demo: 0.8958441028683222, 50%)")

    runs_agree, run_rows = True, []
    if args.runs > 0:
        print()
        runs_agree, run_rows = report_whole_runs(whole_runs(X, y, args.runs, args.micrograd_steps))

    print("\nmemory of one full-batch moons loss graph (tracemalloc):")
    memories = {side.name: graph_memory(side, X, y) for side in sides}
    for name, m in memories.items():
        print(
            f"  {name:<9} {m['nodes']:,} nodes | after forward {mib(m['forward current'])}"
            f" (peak {mib(m['forward peak'])}) | after backward {mib(m['backward current'])}"
            f" (peak during backward {mib(m['backward peak'])})"
        )

    print(f"\n{args.chain_depth:,}-deep chain (alternating * and +), built and backpropagated in a fresh subprocess:")
    chain = deep_chain(args.chain_depth)
    chain_seconds = chain["build"] + chain["backward"]
    grad_ok = abs(chain["grad"] - chain["expected"]) <= 1e-9 * abs(chain["expected"])
    print(
        f"  engine    build {chain['build']:.2f} s + backward {chain['backward']:.2f} s = {chain_seconds:.2f} s"
        f" (then freed in {chain['free']:.2f} s); peak RSS {mib(chain['peak'])} ({chain['source']};"
        f" before building {mib(chain['baseline'])}); x.grad {chain['grad']!r} vs {chain['expected']!r}: {grad_ok};"
        f" recursion limit unchanged: {chain['recursion limit unchanged']}"
    )
    if MicrogradValue is not None:
        print(f"  micrograd {micrograd_chain_fails()}")

    engine_graph = memories["engine"]["forward current"]
    print("\nsummary")
    rows = [("median step (incl. its gc)", f"{medians['engine'] * 1e3:.1f} ms", "", "")]
    rows.append(("  of which gc.collect()", f"{gc_medians['engine'] * 1e3:.1f} ms", "", ""))
    if len(sides) == 2:
        rows[0] = (
            *rows[0][:2],
            f"{medians['micrograd'] * 1e3:.1f} ms",
            f"{medians['micrograd'] / medians['engine']:.1f}x faster",
        )
        rows[1] = (*rows[1][:2], f"{gc_medians['micrograd'] * 1e3:.1f} ms", "")
        rows.append(("same loss every step (1e-9)", str(not mismatches), str(not mismatches), ""))
    rows += run_rows
    rows.append(
        (
            "moons graph after forward",
            mib(engine_graph).strip(),
            mib(memories["micrograd"]["forward current"]).strip() if len(sides) == 2 else "-",
            f"engine target <= 10 MiB: {verdict(engine_graph <= TARGETS['engine graph'])}",
        )
    )
    rows.append(
        (
            "moons graph after backward",
            mib(memories["engine"]["backward current"]).strip(),
            mib(memories["micrograd"]["backward current"]).strip() if len(sides) == 2 else "-",
            "",
        )
    )
    rows.append(
        (
            f"{args.chain_depth:,}-deep chain: time",
            f"{chain_seconds:.2f} s",
            "RecursionError" if len(sides) == 2 else "-",
            f"target <= 3 s: {verdict(chain_seconds <= TARGETS['chain seconds'])}",
        )
    )
    rows.append(
        (
            f"{args.chain_depth:,}-deep chain: peak RSS ({chain['source']})",
            mib(chain["peak"]).strip(),
            "",
            f"target <= 400 MiB: {verdict(chain['peak'] <= TARGETS['chain peak'])}",
        )
    )
    widths = [max(len(r[i]) for r in [*rows, ("", "engine", "micrograd", "")]) for i in range(4)]
    print(f"  {'':<{widths[0]}} | {'engine':>{widths[1]}} | {'micrograd':>{widths[2]}} | note")
    for r in rows:
        print(f"  {r[0]:<{widths[0]}} | {r[1]:>{widths[1]}} | {r[2]:>{widths[2]}} | {r[3]}")

    ok = not mismatches and grad_ok and chain["recursion limit unchanged"] and runs_agree
    assert ok, "the engine and micrograd disagree, a tape run differs from the rebuild, or the chain's grad is wrong"
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
