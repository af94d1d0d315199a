"""The lecture's picture as terminal cells: boxes, op nodes and lines at fixed places, numbers from a cursor.

`PictureLayout` is computed once per graph: layers, rows (`mgtui.picture_layout`) and the lines
between layers (`mgtui.picture_routes`). A `Drawing` gives it columns for one box form:

- the record, as `draw_dot` draws a value: ``│ a │data  2.0000│grad  6.0000│`` on one row;
- the compact box, label / data / grad on three rows, for pictures the record makes too wide.

Both are three rows tall, so the rows and the lines are the same for both; only columns differ.
Numbers have one width for the whole graph, the widest any step will show, so stepping changes
text inside boxes and nothing else: no relayout, ever.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from engine.stepping import Cursor, Timeline
from mgtui import present
from mgtui.picture_layout import BOX_HEIGHT, MIDDLE, Layering, layer_graph
from mgtui.picture_routes import EAST, HORIZONTAL, NORTH, SOUTH, VERTICAL, WEST, ChannelRoute, route_channel

Form = Literal["record", "compact"]
Mark = Literal["current", "operand", ""]

MAX_LABEL = 14  # longer labels are cut with "…" (the step panel and the tree show them in full)
# Values; above it the picture is many screens wide and tall and the tree reads better. Measured:
# 122 values (the lecture's MLP on one sample) lay out in 20 ms as a 513×82 picture, 212 values in
# 46 ms as 607×170 (see benchmarks/ui_bench.py). The limit keeps the one-sample MLP.
PICTURE_LIMIT = 150
ARROW = "▶"
CROSSING = "│"  # the vertical line goes on; the horizontal one is seen passing behind it
GLYPHS = {
    HORIZONTAL: "─",
    VERTICAL: "│",
    EAST: "─",
    WEST: "─",
    NORTH: "│",
    SOUTH: "│",
    EAST | SOUTH: "┌",
    WEST | SOUTH: "┐",
    NORTH | EAST: "└",
    NORTH | WEST: "┘",
    VERTICAL | EAST: "├",
    VERTICAL | WEST: "┤",
    HORIZONTAL | SOUTH: "┬",
    HORIZONTAL | NORTH: "┴",
    VERTICAL | HORIZONTAL: "┼",
}

# A row of a drawing, left to right: fixed text (lines, arrows, blanks), op nodes and box rows.
Piece = tuple[Literal["text"], str] | tuple[Literal["op"], int] | tuple[Literal["box"], int, int]


def number_width(timeline: Timeline) -> int:
    """The widest number any position of the timeline shows (values, and every grad on its way)."""
    numbers = [*timeline.values, *timeline.edge_after, 1.0]
    return max(len(present.number(x, 9).strip()) for x in numbers)


class PictureLayout:
    """The picture of one graph: computed once, drawn in either box form on demand."""

    def __init__(
        self, operands: Sequence[tuple[int, ...]], ops: Sequence[str], labels: Sequence[str], output: int, numbers: int
    ) -> None:
        self.operands = list(operands)
        self.ops = [str(op) for op in ops]
        self.labels = [label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…" for label in labels]
        self.number_width = numbers
        self.layering: Layering = layer_graph(self.operands, output)
        self.routes: list[ChannelRoute | None] = [None] + [
            route_channel(self.layering, r) for r in range(1, len(self.layering.layers))
        ]
        self._drawings: dict[Form, Drawing] = {}

    @classmethod
    def of(cls, timeline: Timeline) -> PictureLayout:
        labels = [timeline.name(i) for i in range(len(timeline.nodes))]
        return cls(timeline.operands, timeline.ops, labels, timeline.output_index, number_width(timeline))

    def drawing(self, form: Form) -> Drawing:
        if form not in self._drawings:
            self._drawings[form] = Drawing(self, form)
        return self._drawings[form]

    def fitting(self, width: int) -> Drawing:
        """The record form if it fits `width` columns, else the compact one (narrower, same height)."""
        record = self.drawing("record")
        return record if record.width <= width else self.drawing("compact")


class Drawing:
    """A `PictureLayout` in columns for one box form: every fixed cell, and where boxes and ops go."""

    def __init__(self, layout: PictureLayout, form: Form) -> None:
        self.layout, self.form = layout, form
        layering = layout.layering
        n = layering.node_count
        self.box_x = [0] * n
        self.box_width = [0] * n
        self.op_x = [-1] * n  # column of an op node's "(" (-1: a leaf)
        self.has_exit = [bool(layering.outgoing[node]) for node in range(n)]
        self.label_width: list[int] = [0] * n  # record form: the label field of the box's column
        self._place_columns()
        self.height = max([layering.height, *(r.lowest_row + 1 for r in layout.routes if r is not None)])
        self.chars = [[" "] * self.width for _ in range(self.height)]
        self.wires: dict[tuple[int, int], list[int]] = {}  # line cells: the direction bits of each line there
        self.op_inputs: dict[tuple[int, int], int] = {}  # the arrowhead cell in front of each op node
        self._draw_lines()
        self.rows = [self._pieces(y) for y in range(self.height)]

    # --- columns -----------------------------------------------------------------------------------

    def _place_columns(self) -> None:
        layout, layering = self.layout, self.layout.layering
        self.channel_x = [0] * len(layering.layers)
        self.ops_x = [0] * len(layering.layers)  # where each layer's op region starts
        self.layer_end = [0] * len(layering.layers)  # the column after its boxes
        x = 0
        for r, layer in enumerate(layering.layers):
            route = layout.routes[r]
            if route is not None:
                self.channel_x[r] = x
                x += route.width
            nodes = [e for e in layer if not layering.is_dummy(e)]
            op_texts = [len(op_text(layout.ops[v])) for v in nodes if layout.operands[v]]
            self.ops_x[r] = x
            if op_texts:
                x += 4 + max(op_texts)  # join, arrow, op, line, arrow
            width, label_width = self._column_width(nodes)
            for v in nodes:
                self.box_x[v], self.box_width[v], self.label_width[v] = x, width, label_width
                if layout.operands[v]:
                    self.op_x[v] = x - 2 - len(op_text(layout.ops[v]))
            x += width
            self.layer_end[r] = x
        self.width = x

    def _column_width(self, nodes: list[int]) -> tuple[int, int]:
        """A column's box width (all boxes of a layer are as wide) and, for records, its label field."""
        longest = max(len(self.layout.labels[v]) for v in nodes)
        numbers = self.layout.number_width
        if self.form == "compact":
            return 4 + max(longest, numbers), 0
        label_width = longest + 2
        return 1 + label_width + 1 + (5 + numbers) + 1 + (5 + numbers + 1) + 1, label_width

    # --- lines -------------------------------------------------------------------------------------

    def _draw_lines(self) -> None:
        layering, layout = self.layout.layering, self.layout
        for r, layer in enumerate(layering.layers):
            route = layout.routes[r]
            if route is not None:
                for (col, row), nets in route.cells.items():
                    for _, bits in nets:
                        self._wire(self.channel_x[r] + col, row, bits)
            for element in layer:
                if layering.is_dummy(element):  # a line passing this layer on a row of its own
                    for x in range(self.ops_x[r], self.layer_end[r]):
                        self._wire(x, layering.top[element], HORIZONTAL)
                elif layout.operands[element]:
                    self._draw_op_inputs(element)
        for (x, y), bits in self.wires.items():
            self.chars[y][x] = CROSSING if len(bits) > 1 else GLYPHS[bits[0]]
        for (x, y), node in self.op_inputs.items():
            self.chars[y][x] = ARROW
            self.chars[y][self.box_x[node] - 1] = ARROW
            self.chars[y][self.box_x[node] - 2] = "─"

    def _draw_op_inputs(self, node: int) -> None:
        """The join in front of an op: its inputs' rows merge into one line into the op's arrow."""
        top = self.layout.layering.top[node]
        join = self.ops_x[self.layout.layering.element_layer[node]]
        middle = top + MIDDLE
        ports = {e.port for e in self.layout.layering.incoming[node]}
        if ports == {MIDDLE}:
            self._wire(join, middle, HORIZONTAL)
        else:
            self._wire(join, top, WEST | SOUTH)
            self._wire(join, middle, VERTICAL | EAST)
            self._wire(join, top + BOX_HEIGHT - 1, WEST | NORTH)
        for x in range(join + 1, self.op_x[node] - 1):
            self._wire(x, middle, HORIZONTAL)
        self.op_inputs[self.op_x[node] - 1, middle] = node

    def _wire(self, x: int, y: int, bits: int) -> None:
        nets = self.wires.setdefault((x, y), [])
        nets.append(bits)

    # --- rows as pieces ----------------------------------------------------------------------------

    def _pieces(self, y: int) -> list[Piece]:
        """Row y as fixed text runs, op nodes and box rows, left to right."""
        layering, layout = self.layout.layering, self.layout
        spans: list[tuple[int, int, Piece]] = []
        for v in range(layering.node_count):
            top = layering.top[v]
            if top <= y < top + BOX_HEIGHT:
                spans.append((self.box_x[v], self.box_width[v], ("box", v, y - top)))
            if self.op_x[v] >= 0 and y == top + MIDDLE:
                spans.append((self.op_x[v], len(op_text(layout.ops[v])), ("op", v)))
        spans.sort(key=lambda span: span[0])
        pieces: list[Piece] = []
        x = 0
        chars = self.chars[y]
        for start, width, piece in spans:
            if start > x:
                pieces.append(("text", "".join(chars[x:start])))
            pieces.append(piece)
            x = start + width
        if x < self.width:
            pieces.append(("text", "".join(chars[x:])))
        return pieces

    # --- what the cursor fills in ------------------------------------------------------------------

    def box_row(self, node: int, row: int, state: BoxState) -> list[tuple[str, str]]:
        """Row `row` of node's box as (text, role) runs; roles: frame label number unknown mark final bad."""
        if self.form == "compact":
            return self._compact_row(node, row, state)
        return self._record_row(node, row, state)

    def _compact_row(self, node: int, row: int, state: BoxState) -> list[tuple[str, str]]:
        inner = self.box_width[node] - 2
        if row == 0:
            return [
                ("┌", "frame"),
                (_MARKS[state.mark], "mark"),
                (self.layout.labels[node].ljust(inner - 2), "label"),
                (present.BAD if state.bad else " ", "bad"),
                ("┐", "frame"),
            ]
        if row == MIDDLE:
            return [
                ("│ ", "frame"),
                (present.number(state.value, inner - 2), "unknown" if state.value is None else "number"),
                (" ", "frame"),
                ("├" if self.has_exit[node] else "│", "frame"),
            ]
        return [
            ("└ ", "frame"),
            (present.number(state.grad, inner - 2), "unknown" if state.grad is None else "number"),
            _final_run(state),
            ("┘", "frame"),
        ]

    def _record_row(self, node: int, row: int, state: BoxState) -> list[tuple[str, str]]:
        label_width, numbers = self.label_width[node], self.layout.number_width
        if row != MIDDLE:
            left, join, right = ("┌", "┬", "┐") if row == 0 else ("└", "┴", "┘")
            line = f"{left}{'─' * label_width}{join}{'─' * (5 + numbers)}{join}{'─' * (6 + numbers)}{right}"
            return [(line, "frame")]
        return [
            ("│", "frame"),
            (_MARKS[state.mark], "mark"),
            (self.layout.labels[node].ljust(label_width - 2), "label"),
            (present.BAD if state.bad else " ", "bad"),
            ("│data ", "frame"),
            (present.number(state.value, numbers), "unknown" if state.value is None else "number"),
            ("│grad ", "frame"),
            (present.number(state.grad, numbers), "unknown" if state.grad is None else "number"),
            _final_run(state),
            ("├" if self.has_exit[node] else "│", "frame"),
        ]

    def box_of(self, node: int) -> tuple[int, int, int, int]:
        """The box of `node` as x, y, width, height."""
        return self.box_x[node], self.layout.layering.top[node], self.box_width[node], BOX_HEIGHT


_MARKS = {"current": present.CURRENT, "operand": present.RECEIVING, "": " "}


def op_text(op: str) -> str:
    return f"({op})"


@dataclass(frozen=True)
class BoxState:
    """What one box says at a cursor position."""

    value: float | None
    grad: float | None
    mark: Mark = ""
    final: str = ""  # present.final_mark: "", ✓ or ✗
    bad: bool = False


def highlighted(cursor: Cursor) -> dict[int, Mark]:
    """The last step's node, and the operands it read (forward) or passed gradient to (backward).

    The tree's rule (`GraphTree.marks`): nothing at the start, the node alone for the seed. The picture
    draws each node once, so the operand's box is the one end of the step's edge there is.
    """
    step = cursor.last_step
    if step is None:
        return {}
    marks: dict[int, Mark] = {} if step.phase == "seed" else dict.fromkeys(step.operands, "operand")
    marks[step.node] = "current"
    return marks


def box_state(cursor: Cursor, node: int, marks: dict[int, Mark]) -> BoxState:
    value, grad = cursor.value(node), cursor.grad(node)
    bad = present.is_bad(value) or present.is_bad(grad) or cursor.timeline.flagged(node)
    return BoxState(value, grad, marks.get(node, ""), present.final_mark(cursor, node), bad)


def plain_lines(drawing: Drawing, cursor: Cursor) -> Iterable[str]:
    """The picture at the cursor's position as plain text, one string per row (for --print)."""
    marks = highlighted(cursor)
    layout = drawing.layout
    for pieces in drawing.rows:
        parts = []
        for piece in pieces:
            if piece[0] == "text":
                parts.append(piece[1])
            elif piece[0] == "op":
                parts.append(op_text(layout.ops[piece[1]]))
            else:
                state = box_state(cursor, piece[1], marks)
                parts.extend(text for text, _ in drawing.box_row(piece[1], piece[2], state))
        yield "".join(parts).rstrip()


def _final_run(state: BoxState) -> tuple[str, str]:
    """The grad's mark after its number: ✓ final, ✗ final but wrong (drawn as bad), or a space."""
    return (state.final or " ", "bad" if state.final == present.WRONG else "final")
