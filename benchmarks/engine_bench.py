"""The engine against micrograd 0.1.0 on micrograd's own moons demo step, in one process, interleaved.

    PYTHONPATH=. python benchmarks/engine_bench.py [--steps 8] [--chain-depth 1000000]

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

try:
    from micrograd.engine import Value as MicrogradValue
    from micrograd.nn import MLP as MicrogradMLP
except ImportError:  # pip install micrograd==0.1.0 (the "bench" extra)
    MicrogradValue = MicrogradMLP = None

ALPHA = 1e-4  # the demo's L2 weight
MIB = 1024 * 1024
TARGETS = {"engine graph": 10 * MIB, "chain seconds": 3.0, "chain peak": 400 * MIB}


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

    ok = not mismatches and grad_ok and chain["recursion limit unchanged"]
    assert ok, "the engine and micrograd disagree, or the deep chain's gradient is wrong"
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
