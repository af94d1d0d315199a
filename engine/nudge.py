"""The lecture's nudge (section III): move the leaves along their gradients and run the forward pass again.

The lecture nudges ``a.data += 0.01 * a.grad`` for each of a, b, c, f and recomputes L: it goes from
-8.0 to -7.286496, up, as the gradients said it would (by about h · Σ grad² = 0.72). `nudge` does
exactly that on a recorded pass, with the same float operations, and never touches the graph's own
Values or the timeline: a nudge is a question asked of the pass, and dropping it is the undo.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.stepping import Timeline, forward_again


@dataclass(frozen=True)
class Nudge:
    """Each leaf in `leaves` moved by h · its grad, and every value after the forward pass ran again."""

    h: float
    leaves: tuple[int, ...]
    before: tuple[float, ...]  # each leaf's value, as recorded
    after: tuple[float, ...]  # ... and nudged: before + h · grad
    grads: tuple[float, ...]  # the grads that chose the direction (the end of the recorded pass)
    output_before: float
    output_after: float

    @property
    def change(self) -> float:
        return self.output_after - self.output_before

    @property
    def predicted(self) -> float:
        """What the gradients say the output does, to first order: Σ grad · (h · grad) = h · Σ grad²."""
        return self.h * self.grad_squares

    @property
    def grad_squares(self) -> float:
        return sum(g * g for g in self.grads)


def nudgeable_leaves(timeline: Timeline) -> tuple[int, ...]:
    """The leaves a nudge moves: every leaf but the numbers written into the code as literals
    (all of them, for a graph that labels nothing)."""
    leaves = [i for i, operands in enumerate(timeline.operands) if not operands]
    variables = tuple(i for i in leaves if not timeline.names.is_constant(i))
    return variables or tuple(leaves)


def nudge(timeline: Timeline, h: float, leaves: tuple[int, ...] | None = None) -> Nudge:
    """Nudge `leaves` (default: `nudgeable_leaves`) by h times their grad at the end of the pass.

    Raises ValueError when an op downstream is one of a learner's own that mgtui cannot compute.
    """
    if leaves is None:
        leaves = nudgeable_leaves(timeline)
    values, grads = timeline.values, timeline.grads
    before = tuple(values[i] for i in leaves)
    directions = tuple(grads[i] for i in leaves)
    after = tuple(v + h * g for v, g in zip(before, directions))  # the lecture's a.data += h * a.grad
    rerun = forward_again(values, timeline.operands, timeline.ops, dict(zip(leaves, after)))
    output = timeline.output_index
    return Nudge(h, tuple(leaves), before, after, directions, values[output], rerun[output])
