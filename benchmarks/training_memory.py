"""Memory of a long training run: does it stay flat once warmed up?

Trains the lecture's tiny MLP (41 parameters, four samples, on its tape) for 200,000 epochs and
prints, every 20,000 epochs, the interpreter's allocated blocks, the memory tracemalloc sees, and
the process's peak resident size. The trainer keeps the last 1,000 records and a loss curve of at
most 1,024 buckets, so after the first few thousand epochs nothing should grow.

Run: PYTHONPATH=. python benchmarks/training_memory.py [--epochs 200000]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc

from engine.data import LECTURE_XS, LECTURE_YS
from engine.nn import MLP
from engine.train import Trainer, Training


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=200_000)
    args = parser.parse_args()
    model = MLP(3, [4, 4, 1], activation="tanh", seed=1337)
    trainer = Trainer(Training(model, LECTURE_XS, LECTURE_YS, loss="sse", learning_rate=0.01, epochs=10**9))
    tracemalloc.start()
    started = time.perf_counter()
    every = max(1, args.epochs // 10)
    trainer.step()  # the first epoch records the tape
    how = f"replayed from a tape ({trainer.replay.kind})" if trainer.replay else "rebuilt"
    print(f"tiny MLP, {args.epochs:,} epochs, {how}")
    print(f"{'epoch':>8}  {'blocks':>9}  {'traced KiB':>10}  {'peak RSS MiB':>12}")
    while trainer.epoch < args.epochs:
        trainer.step()
        if trainer.epoch % every == 0:
            traced, _ = tracemalloc.get_traced_memory()
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
            print(f"{trainer.epoch:>8,}  {sys.getallocatedblocks():>9,}  {traced / 1024:>10.0f}  {rss:>12.1f}")
    elapsed = time.perf_counter() - started
    print(f"{elapsed:.1f} s ({elapsed / args.epochs * 1e6:.0f} µs an epoch, with tracemalloc on)")
    print(f"kept: {len(trainer.history):,} records, {len(trainer.curve.points()):,} curve points")


if __name__ == "__main__":
    main()
