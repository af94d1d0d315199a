"""The step panel: the current step of the pass explained in numbers.

Forward: ``e = a · b = 2.0 · -3.0 = -6.0``. Backward, one line per operand: the chain rule with
the local derivative written out and then in numbers, and the operand's grad before → after.
"""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.text import Text
from textual.widgets import Static

from engine.stepping import Cursor, Step, Timeline, format_number
from mgtui import present


class StepPanel(Static):
    """Explains the step that led to the cursor's position (or what comes first, at the start).

    Its height is fixed for ordinary steps (no relayout per step); a step that disagrees with the
    chain rule has more to say, and the panel grows for it (``max-height`` in the stylesheet).
    """

    _grown = False

    def show(self, cursor: Cursor, note: str = "") -> None:
        step = cursor.last_step
        grow = step is not None and bool(step.findings)
        self.update(explain(cursor, note), layout=grow or self._grown)
        self._grown = grow


def explain(cursor: Cursor, note: str = "") -> RenderableType:
    timeline = cursor.timeline
    parts: list[RenderableType] = []
    step = cursor.last_step
    if step is None:
        parts.append(Text.assemble(("start", "bold"), ": only the leaves have values; no grad is known yet."))
        upcoming = cursor.next_step
        if upcoming is not None:
            parts.append(Text.assemble(("next (n): ", "dim"), upcoming.text[0]))
    else:
        parts.append(heading(cursor, step, timeline))
        for finding in step.findings:  # first: the one thing on this step a learner must see
            parts.append(Text(f"{present.BAD} {present.finding_text(finding)}", style="bold red"))
        parts.append(equations(step, timeline))
    if note:
        parts.append(Text(note, style="italic"))
    return Group(*parts)


def heading(cursor: Cursor, step: Step, timeline: Timeline) -> Text:
    name = timeline.name(step.node)
    op = timeline.ops[step.node]
    text = Text.assemble((present.position_text(cursor), "bold"), " · ", (name, "bold"), f" ({op})" if op else "")
    if step.summary:
        text.append(f": {step.summary}", style="dim")
    if cursor.at_end:
        text.append(" — pass complete", style="bold green")
    return text


def equations(step: Step, timeline: Timeline) -> Text:
    """One line per equation; under each backward one, the operand's grad before → after."""
    if not step.contributions:
        return Text("\n".join(step.text))
    text = Text()
    for line, contribution in zip(step.text, step.contributions):
        name = timeline.symbol(contribution.operand)
        before = "0" if contribution.before is None else format_number(contribution.before)
        text.append(line + "\n")
        if not contribution.written:
            text.append(f"    {name}.grad: {before}, unchanged: your _backward never wrote it", style="bold red")
        else:
            text.append(f"    {name}.grad: {before} → {format_number(contribution.after)}", style="bold")
            if not contribution.agrees:
                text.append(f"  {present.BAD} should be {format_number(contribution.expected_after)}", style="bold red")
            elif contribution.before is not None:
                text.append("  (+= adds to what it had)", style="yellow")
            if contribution.final:
                text.append(f"  {present.FINAL} final", style="green")
        text.append("\n")
    text.rstrip()
    return text
