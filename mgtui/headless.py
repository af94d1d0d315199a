"""Headless modes for handouts, scripts and terminals without a full screen.

``mgtui SCENARIO --print [--steps K]`` prints the graph as a tree at timeline position K;
``mgtui SCENARIO --train --print`` prints one line per epoch. Rich styles the output on a
terminal and writes plain text when stdout is a pipe or a file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from rich.console import Console
from rich.text import Text

from engine.stepping import Cursor
from engine.train import EpochRecord, Trainer, TrainingDiverged
from mgtui import present
from mgtui.layout import TreeLayout
from mgtui.scenario import describe_exception

MAX_INDENT = 40  # deeper nodes say their depth instead of drawing ever more guides


def tree_lines(cursor: Cursor) -> Iterator[Text]:
    """The graph as a tree, one line per node use, at the cursor's position."""
    timeline = cursor.timeline
    layout = TreeLayout(timeline)
    last = cursor.last_step
    # node, depth, drawn as a reference?, this line's guides, the guides under it
    stack: list[tuple[int, int, bool, str, str]] = [(timeline.output_index, 0, False, "", "")]
    while stack:
        node, depth, reference, prefix, indent = stack.pop()
        yield Text(prefix) + node_text(cursor, node, reference, last.node if last else None)
        if reference:
            continue
        operands = timeline.operands[node]
        for j in reversed(range(len(operands))):
            is_last = j == len(operands) - 1
            if depth + 1 >= MAX_INDENT:
                child_prefix, child_indent = f"[depth {depth + 1}] ", ""
            else:
                child_prefix = indent + ("└── " if is_last else "├── ")
                child_indent = indent + ("    " if is_last else "│   ")
            stack.append((operands[j], depth + 1, not layout.is_home(node, j), child_prefix, child_indent))


def node_text(cursor: Cursor, node: int, reference: bool, current: int | None) -> Text:
    timeline = cursor.timeline
    value, grad = cursor.value(node), cursor.grad(node)
    text = Text()
    if reference:
        text.append(f"{present.REFERENCE} {timeline.name(node)} (shared: drawn in full above)", style="dim")
        return text
    text.append(timeline.name(node), style="bold")
    op = timeline.ops[node]
    if op:
        text.append(f"  {op}", style="cyan")
    text.append(f"  data {present.number(value).strip()}")
    text.append(f"  grad {present.number(grad).strip()}")
    if cursor.grad_is_final(node):
        text.append(f" {present.FINAL}", style="green")
    if present.is_bad(value) or present.is_bad(grad):
        text.append(f" {present.BAD}", style="bold red")
    if node == current:
        text.append(f"  {present.CURRENT} last step", style="reverse")
    return text


def print_graph(cursor: Cursor, title: str, console: Console) -> None:
    console.print(Text(title, style="bold"), soft_wrap=True)
    position = f"position {cursor.position}/{len(cursor.timeline)} ({present.position_text(cursor)})"
    console.print(
        Text(f"{position}; {present.NOT_YET} = not computed yet, {present.FINAL} = grad final"), soft_wrap=True
    )
    last = cursor.last_step
    if last is not None:
        for line in last.text:
            console.print(Text(f"last step: {line}"), soft_wrap=True)
    console.print()
    for line in tree_lines(cursor):
        console.print(line, soft_wrap=True)


def epoch_line(record: EpochRecord, epochs: int) -> str:
    width = len(str(epochs))
    return (
        f"epoch {record.epoch + 1:>{width}}/{epochs}  loss {record.loss!r}  "
        f"accuracy {record.accuracy * 100:5.1f}%  lr {record.learning_rate:.4g}"
    )


def print_training(trainer: Trainer, console: Console, scenario_path: Path) -> int:
    """Run every epoch, printing each; returns the exit status (1 if training had to stop)."""
    epochs = trainer.training.epochs
    noted = ""
    while not trainer.finished:
        try:
            record = trainer.step()
        except TrainingDiverged as diverged:
            console.print(epoch_line(diverged.record, epochs), highlight=False)
            console.print(Text(f"mgtui: {diverged}", style="bold red"), soft_wrap=True)
            return 1
        except Exception as error:  # the scenario's own loss or schedule failing mid-run
            where = describe_exception(error, scenario_path, f"at epoch {trainer.epoch + 1}")
            console.print(Text(f"mgtui: {where}", style="bold red"), soft_wrap=True)
            return 1
        console.print(epoch_line(record, epochs), highlight=False)
        if trainer.tape_note != noted:  # why this run is slower than it could be, said once
            noted = trainer.tape_note
            console.print(Text(f"mgtui: note: {noted}", style="yellow"), soft_wrap=True)
    return 0
