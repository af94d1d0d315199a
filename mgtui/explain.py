"""A step of the pass in words and numbers, as the step panel shows it and ``--print --trace`` prints it.

Forward: ``e = a · b = 2.0 · -3.0 = -6.0``. Backward, one line per operand: the chain rule with the
local derivative written out and then in numbers, and under it the operand's grad before → after,
named exactly as in the equation above it. A step of a long sum folded into one row of the tree
says which of its adds it is. Also the lecture's nudge: leaves moved along their grads, and what
the output did against what the gradients predicted.
"""

from __future__ import annotations

from rich.text import Text

from engine.nudge import Nudge
from engine.stepping import Step, Timeline, format_number
from mgtui import present
from mgtui.layout import TreeLayout

NUDGE_LEAVES_SHOWN = 4  # leaves listed by name before "and N more"


def start_lines(timeline: Timeline) -> list[Text]:
    """Position 0: nothing computed yet, and what the first step will do."""
    lines = [Text.assemble(("start", "bold"), ": only the leaves have values; no grad is known yet.")]
    if len(timeline):
        lines.append(Text.assemble(("next (n): ", "dim"), timeline.step(0).text[0]))
    return lines


def step_lines(timeline: Timeline, step: Step, layout: TreeLayout | None = None, at_end: bool = False) -> list[Text]:
    """The heading (which node, what its op does), what disagrees, and one line per equation.

    Where the step is in the pass is the caller's to say: the status bar says it above the panel."""
    lines = [heading(timeline, step, at_end)]
    term = layout.term(step.node) if layout is not None else None
    if term is not None:
        head, k, adds = term
        lines.append(Text(f"term {k} of {adds} of the sum {timeline.name(head)}, one row (Σ) in the tree", style="dim"))
    for finding in step.findings:  # first: the one thing on this step a learner must see
        lines.append(Text(f"{present.BAD} {present.finding_text(finding)}", style="bold red"))
    lines.extend(equations(timeline, step))
    return lines


def heading(timeline: Timeline, step: Step, at_end: bool = False) -> Text:
    op = timeline.ops[step.node]
    text = Text.assemble((timeline.name(step.node), "bold"), f" ({op})" if op else "")
    if step.summary:
        text.append(f": {step.summary}", style="dim")
    if at_end:
        text.append(" — pass complete", style="bold green")
    return text


def step_position(timeline: Timeline, index: int) -> str:
    """``forward 2/3``, ``seed``, ``backward 7/12``: which step of its phase `index` is (for a trace)."""
    computed = len(timeline.computed)
    if index < timeline.seed_step:
        return f"forward {index + 1}/{computed}"
    if index == timeline.seed_step:
        return "seed"
    return f"backward {index - timeline.seed_step}/{computed}"


def equations(timeline: Timeline, step: Step) -> list[Text]:
    """One line per equation; under each backward one, the operand's grad before → after."""
    if not step.contributions:
        return [Text(line) for line in step.text]
    lines = []
    for line, contribution in zip(step.text, step.contributions):
        grad = timeline.names.grad(contribution.operand)
        before = "0" if contribution.before is None else format_number(contribution.before)
        lines.append(Text(line))
        change = Text("    ")
        if not contribution.written:
            change.append(f"{grad}: {before}, unchanged: your _backward never wrote it", style="bold red")
        else:
            change.append(f"{grad}: {before} → {format_number(contribution.after)}", style="bold")
            if not contribution.agrees:
                expected = format_number(contribution.expected_after)
                change.append(f"  {present.BAD} should be {expected}", style="bold red")
            elif contribution.before is not None:
                change.append("  (+= adds to what it had)", style="yellow")
            if contribution.final and timeline.final_grad_is_wrong(contribution.operand):
                expected = format_number(timeline.expected_grads[contribution.operand])
                change.append(f"  {present.WRONG} final, the chain rule gives {expected}", style="bold red")
            elif contribution.final:
                change.append(f"  {present.FINAL} final", style="green")
        lines.append(change)
    return lines


def nudge_lines(timeline: Timeline, nudge: Nudge) -> list[Text]:
    """The lecture's nudge in numbers: which leaves moved how, and the output before → after against
    what the gradients predicted."""
    output = timeline.name(timeline.output_index)
    if len(nudge.leaves) == 1:
        x = timeline.symbol(nudge.leaves[0])
        what = f"{x}.data += h · {x}.grad, {x} alone"
    else:
        what = f"x.data += h · x.grad for each of {len(nudge.leaves)} leaves"
    lines = [Text.assemble((f"nudge h={nudge.h:g}", "bold"), f": {what}, then the forward pass again")]
    moved = [
        f"{timeline.name(leaf)} {format_number(a)} → {format_number(b)}"
        for leaf, a, b in zip(nudge.leaves[:NUDGE_LEAVES_SHOWN], nudge.before, nudge.after)
    ]
    if len(nudge.leaves) > NUDGE_LEAVES_SHOWN:
        moved.append(f"and {len(nudge.leaves) - NUDGE_LEAVES_SHOWN} more")
    lines.append(Text("  " + ",  ".join(moved)))
    lines.append(
        Text.assemble(
            (f"{output}: {precise(nudge.output_before)} → {precise(nudge.output_after)}", "bold"),
            f"   changed by {signed(nudge.change)}",
        )
    )
    squares = "grad²" if len(nudge.leaves) == 1 else "Σ grad²"
    lines.append(
        Text(
            f"the grads predicted {signed(nudge.predicted)}  (h · {squares} = {nudge.h:g} · "
            f"{format_number(nudge.grad_squares)})",
            style="dim",
        )
    )
    return lines


def precise(x: float) -> str:
    """An output as the lecture prints it, to 10 digits: ``-8.0``, ``-7.286496`` (the step texts' 6 would
    say ``-7.2865``)."""
    return _float_text(f"{x:.10g}")


def signed(x: float) -> str:
    return _float_text(f"{x:+.10g}")


def _float_text(text: str) -> str:
    return text if any(c in text for c in ".ein") else f"{text}.0"
