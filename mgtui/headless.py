"""Headless modes for handouts, scripts and terminals without a full screen.

``mgtui SCENARIO --print [--steps K]`` prints the graph as a tree at timeline position K, with
``--picture`` as the lecture draws it, with ``--trace`` every step up to K explained;
``mgtui SCENARIO --train --print`` prints one line per epoch; ``mgtui SCENARIO --check`` prints the
verdict on every step of the pass and on its final grads. Rich styles the output on a terminal and
writes plain text when stdout is a pipe or a file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from rich.console import Console
from rich.text import Text

from engine.check import Comparison, end_to_end
from engine.recording import KINDS
from engine.stepping import Cursor, Timeline
from engine.text import printable
from engine.train import EpochRecord, Trainer, Training, TrainingDiverged
from mgtui import present
from mgtui.explain import start_lines, step_lines, step_position
from mgtui.layout import TreeLayout
from mgtui.picture_draw import PICTURE_LIMIT, PictureLayout, plain_lines
from mgtui.scenario import describe_exception, is_users_own_interrupt

MAX_INDENT = 40  # deeper nodes say their depth instead of drawing ever more guides
ACCUMULATING = "zero_grad=False: grads add up across epochs (the lecture's forgotten zero_grad)"  # said once


class OutputConsole(Console):
    """The console the headless modes print on. A reader that goes away (``| head``) raises
    BrokenPipeError, which the command turns into its own quiet exit (Rich's would be status 1)."""

    def on_broken_pipe(self) -> None:
        raise BrokenPipeError


def output_console() -> Console:
    return OutputConsole(highlight=False)


def tree_lines(cursor: Cursor) -> Iterator[Text]:
    """The graph as a tree, one line per node use, at the cursor's position (long sums as one row, Σ)."""
    timeline = cursor.timeline
    layout = TreeLayout(timeline)
    last = cursor.last_step
    current = layout.row_node[last.node] if last else None
    # node, depth, drawn as a reference?, this line's guides, the guides under it
    stack: list[tuple[int, int, bool, str, str]] = [(timeline.output_index, 0, False, "", "")]
    while stack:
        node, depth, reference, prefix, indent = stack.pop()
        folded = node in layout.chains
        yield Text(prefix) + node_text(cursor, node, reference, current, folded)
        if reference:
            continue
        operands = layout.children(node)
        for j in reversed(range(len(operands))):
            is_last = j == len(operands) - 1
            if depth + 1 >= MAX_INDENT:
                child_prefix, child_indent = f"[depth {depth + 1}] ", ""
            else:
                child_prefix = indent + ("└── " if is_last else "├── ")
                child_indent = indent + ("    " if is_last else "│   ")
            stack.append((operands[j], depth + 1, not layout.is_home(node, j), child_prefix, child_indent))


def node_text(cursor: Cursor, node: int, reference: bool, current: int | None, folded: bool = False) -> Text:
    timeline = cursor.timeline
    value, grad = cursor.value(node), cursor.grad(node)
    text = Text()
    if reference:
        text.append(f"{present.REFERENCE} {timeline.name(node)} (shared: drawn in full above)", style="dim")
        return text
    text.append(timeline.name(node), style="bold")
    op = "Σ" if folded else timeline.ops[node]
    if op:
        text.append(f"  {op}", style="cyan")
    text.append(f"  data {present.number(value).strip()}")
    text.append(f"  grad {present.number(grad).strip()}")
    final = present.final_mark(cursor, node)
    if final:
        text.append(f" {final}", style="green" if final == present.FINAL else "bold red")
    if present.is_bad(value) or present.is_bad(grad) or cursor.flagged(node):
        text.append(f" {present.BAD}", style="bold red")
    if node == current:
        text.append(f"  {present.CURRENT} last step", style="reverse")
    return text


def print_graph(cursor: Cursor, title: str, console: Console, limit: int = 0) -> None:
    """The heading and the tree; with `limit`, at most that many rows of it, and then how many more
    there are and how to see them (on stdout, where the tree ends, and on stderr)."""
    print_heading(cursor, title, console)
    printed = 0
    for line in tree_lines(cursor):
        if limit and printed == limit:
            break
        console.print(line, soft_wrap=True)
        printed += 1
    else:
        return
    rows = row_count(TreeLayout(cursor.timeline), cursor.timeline.output_index)
    _say_truncated(console, printed, rows, "rows", "of the tree's")


def _say_truncated(console: Console, printed: int, total: int, what: str, whose: str) -> None:
    """Where the output stops (on stdout) and how to see the rest (on stderr, seen even with > FILE)."""
    note = f"… {total - printed:,} more {what} (--lines 0 prints all {total:,})"
    console.print(Text(note, style="dim"), soft_wrap=True)
    Console(stderr=True).print(
        f"mgtui: printed the first {printed:,} {whose} {total:,} {what}; --lines N prints N, --lines 0 all",
        highlight=False,
        soft_wrap=True,
    )


def row_count(layout: TreeLayout, output: int) -> int:
    """Rows of the whole tree, as `tree_lines` draws it, without drawing them: each row's node in
    full once (its children one row each), every other use of it a reference row."""
    rows, stack = 1, [output]
    while stack:
        node = stack.pop()
        children = layout.children(node)
        rows += len(children)
        stack.extend(child for j, child in enumerate(children) if layout.is_home(node, j))
    return rows


def print_heading(cursor: Cursor, title: str, console: Console, legend: str = "") -> None:
    """The scenario, the position, what the marks mean, and the last step in numbers; then a blank line."""
    console.print(Text(printable(title), style="bold"), soft_wrap=True)  # a title may come from anywhere
    position = f"position {cursor.position}/{len(cursor.timeline)} ({present.position_text(cursor)})"
    wrong = f" ({present.WRONG}: not what the chain rule gives)" if cursor.timeline.observed else ""
    console.print(
        Text(f"{position}; {present.NOT_YET} = not computed yet, {present.FINAL} = grad final{wrong}{legend}"),
        soft_wrap=True,
    )
    last = cursor.last_step
    if last is not None:
        for line in last.text:
            console.print(Text(f"last step: {line}"), soft_wrap=True)
        for finding in last.findings:
            console.print(Text(f"{present.BAD} {present.finding_text(finding)}", style="bold red"), soft_wrap=True)
    console.print()


def print_picture(cursor: Cursor, title: str, console: Console, limit: int = 0) -> None:
    """The lecture's picture at the cursor's position, in the box form that fits the console's width.

    A graph too big for the picture is printed as the tree, with a note on stderr saying why.
    """
    values = len(cursor.timeline.nodes)
    if values > PICTURE_LIMIT:
        Console(stderr=True).print(
            f"mgtui: the picture is for small graphs (up to {PICTURE_LIMIT} values; this one has {values:,}):"
            " printing the tree",
            highlight=False,
            soft_wrap=True,
        )
        print_graph(cursor, title, console, limit)
        return
    drawing = PictureLayout.of(cursor.timeline).fitting(console.width)
    boxes = "label │ data │ grad" if drawing.form == "record" else "label / data / grad"
    legend = f", {present.CURRENT}/{present.RECEIVING} = last step's node/operands; boxes: {boxes}"
    print_heading(cursor, title, console, legend)
    for line in plain_lines(drawing, cursor):
        console.print(Text(line), soft_wrap=True)


def print_trace(cursor: Cursor, title: str, console: Console, limit: int = 0) -> None:
    """``--print --trace``: every step up to the cursor's position, explained as the step panel does,
    one step after another; an equation is one line however long (for a handout, or a diff). With
    `limit`, at most that many steps, then how many more."""
    timeline = cursor.timeline
    layout = TreeLayout(timeline)
    console.print(Text(printable(title), style="bold"), soft_wrap=True)
    console.print(start_lines(timeline)[0], soft_wrap=True)
    steps = cursor.position if not limit else min(limit, cursor.position)
    for index in range(steps):
        console.print()
        lines = step_lines(timeline, timeline.step(index), layout, at_end=index + 1 == len(timeline))
        where = f"step {index + 1}/{len(timeline)} · {step_position(timeline, index)} · "
        console.print(Text(where, style="bold") + lines[0], soft_wrap=True)
        for line in lines[1:]:
            console.print(line, soft_wrap=True)
    if steps < cursor.position:
        console.print()
        _say_truncated(console, steps, cursor.position, "steps", "of")


def epoch_line(record: EpochRecord, training: Training, epochs: int | None = None) -> str:
    """One epoch as ``--train --print`` prints it: its number (from 1, as the view counts), loss,
    measure (accuracy for classes, else the largest error), validation figures, learning rate."""
    epochs = training.epochs if epochs is None else epochs
    measure, width = training.measure, len(str(epochs))
    figure = measure.text(record.measure)
    line = f"epoch {record.epoch:>{width}}/{epochs}  loss {record.loss!r}  {measure.name} {figure:>6}"
    if record.validation_loss is not None:
        validation = measure.text(record.validation_measure)
        line += f"  val loss {record.validation_loss!r}  val {measure.name} {validation:>6}"
    return f"{line}  lr {record.learning_rate:.4g}"


def print_training(trainer: Trainer, console: Console, scenario_path: Path) -> int:
    """Run every epoch, printing each; returns the exit status (1 if training had to stop)."""
    training = trainer.training
    if not training.zero_grad:
        console.print(Text(f"mgtui: note: {ACCUMULATING}", style="yellow"), soft_wrap=True)
    noted = ""
    while not trainer.finished:
        try:
            record = trainer.step()
        except TrainingDiverged as diverged:
            console.print(epoch_line(diverged.record, training), highlight=False, soft_wrap=True)
            console.print(Text(f"mgtui: {diverged}", style="bold red"), soft_wrap=True)
            return 1
        except BaseException as error:  # the scenario's own loss, schedule or measure failing (or exiting) mid-run
            if is_users_own_interrupt(error):
                raise
            where = describe_exception(error, scenario_path, f"at epoch {trainer.epoch + 1}")
            console.print(Text(f"mgtui: {where}", style="bold red"), soft_wrap=True)
            return 1
        console.print(epoch_line(record, training), highlight=False, soft_wrap=True)
        if trainer.tape_note != noted:  # why this run is slower than it could be, said once
            noted = trainer.tape_note
            console.print(Text(f"mgtui: note: {printable(noted)}", style="yellow"), soft_wrap=True)
    return 0


def check_lines(timeline: Timeline, comparisons: list[Comparison]) -> tuple[list[str], bool]:
    """The verdict: one line per step that disagrees with the chain rule, one per end-to-end measure,
    and a summary. Returns the lines and whether everything agreed."""
    lines = []
    for step, findings in timeline.findings.items():
        node = timeline.node_of_step(step)
        op = timeline.ops[node]
        what = "; ".join(present.finding_text(f) for f in findings)
        lines.append(f"step {step + 1} ({step_position(timeline, step)}) {timeline.name(node)} ({op}): {what}")
    for comparison in comparisons:
        mark = {"agree": present.FINAL, "differ": "✗", "unavailable": "–"}[comparison.status]
        lines.append(f"end to end, against {comparison.against}: {mark} {comparison.detail}")
    differ = [c for c in comparisons if c.differs]
    steps = len(timeline)
    if timeline.findings:
        kinds = sorted({KINDS[f.kind] for found in timeline.findings.values() for f in found})
        summary = f"{len(timeline.findings)} of {steps} steps disagree with the chain rule ({', '.join(kinds)})"
    elif timeline.observed:
        summary = f"all {steps} steps of your code follow the chain rule"
    else:
        summary = f"all {steps} steps follow the chain rule"
    checked = [c for c in comparisons if c.status != "unavailable"]
    summary += f"; end to end, {len(checked) - len(differ)} of {len(checked)} measures agree"
    lines.append(f"mgtui: {summary}")
    return lines, not timeline.findings and not differ


def print_check(timeline: Timeline, fresh_output, console: Console) -> int:
    """``--check``: exit 0 when every step and every end-to-end measure agrees, 1 otherwise."""
    lines, agreed = check_lines(timeline, end_to_end(timeline, fresh_output))
    for line in lines:
        console.print(Text(line), soft_wrap=True)
    return 0 if agreed else 1
