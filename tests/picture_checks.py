"""What every drawing of the picture must satisfy, checked cell by cell (shared by the picture tests)."""

from __future__ import annotations

from mgtui.picture_draw import Drawing, op_text
from mgtui.picture_layout import MIDDLE
from mgtui.picture_routes import EAST, HORIZONTAL, NORTH, SOUTH, VERTICAL, WEST

STEP = {NORTH: (0, -1), SOUTH: (0, 1), EAST: (1, 0), WEST: (-1, 0)}
OPPOSITE = {NORTH: SOUTH, SOUTH: NORTH, EAST: WEST, WEST: EAST}


def rectangles(drawing: Drawing) -> list[tuple[str, int, int, int, int]]:
    """Every box and op node as (what, x, y, width, height)."""
    layout = drawing.layout
    found = []
    for node in range(layout.layering.node_count):
        x, y, w, h = drawing.box_of(node)
        found.append((f"box {node}", x, y, w, h))
        if drawing.op_x[node] >= 0:
            found.append((f"op {node}", drawing.op_x[node], y + MIDDLE, len(op_text(layout.ops[node])), 1))
    return found


def overlapping(drawing: Drawing) -> list[tuple[str, str]]:
    rects = rectangles(drawing)
    pairs = []
    for i, (a, ax, ay, aw, ah) in enumerate(rects):
        for b, bx, by, bw, bh in rects[i + 1 :]:
            if ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah:
                pairs.append((a, b))
    return pairs


def lines_inside(drawing: Drawing) -> list[tuple[str, int, int]]:
    """Line cells (and arrowheads) that lie inside a box or an op node."""
    cells = set(drawing.wires) | set(drawing.op_inputs)
    inside = []
    for what, x, y, w, h in rectangles(drawing):
        inside.extend((what, cx, cy) for cx, cy in cells if x <= cx < x + w and y <= cy < y + h)
    return inside


def bad_cells(drawing: Drawing) -> list[str]:
    """Cells where lines touch other than by crossing straight, and line ends that lead nowhere."""
    problems = []
    exits = {
        (drawing.box_x[v] + drawing.box_width[v] - 1, drawing.layout.layering.top[v] + MIDDLE)
        for v in range(drawing.layout.layering.node_count)
        if drawing.has_exit[v]
    }
    for (x, y), masks in drawing.wires.items():
        if len(masks) > 2 or (len(masks) == 2 and sorted(masks) != sorted([HORIZONTAL, VERTICAL])):
            problems.append(f"lines touch at {x},{y}: {masks}")
        for mask in masks:
            for direction, (dx, dy) in STEP.items():
                if not mask & direction:
                    continue
                neighbour = (x + dx, y + dy)
                if any(m & OPPOSITE[direction] for m in drawing.wires.get(neighbour, ())):
                    continue
                if (direction == WEST and neighbour in exits) or (direction == EAST and neighbour in drawing.op_inputs):
                    continue
                problems.append(f"line at {x},{y} leads {direction} to nothing")
    return problems


def reached_ops(drawing: Drawing, node: int) -> set[int]:
    """The ops a value's line reaches, read as the picture is read: from its box, left to right.

    Lines only ever run right or up and down, so a reader never turns back left: that is what
    makes the join of an op's two inputs a join and not a way from one input into the other.
    Crossings go straight on.
    """
    x = drawing.box_x[node] + drawing.box_width[node]
    y = drawing.layout.layering.top[node] + MIDDLE
    reached: set[int] = set()
    todo = [(x, y, m) for m in drawing.wires.get((x, y), ()) if m & WEST]
    seen = set()
    while todo:
        x, y, mask = todo.pop()
        if (x, y, mask) in seen:
            continue
        seen.add((x, y, mask))
        for direction, (dx, dy) in STEP.items():
            if not mask & direction or direction == WEST:
                continue
            neighbour = (x + dx, y + dy)
            if neighbour in drawing.op_inputs:
                reached.add(drawing.op_inputs[neighbour])
            for m in drawing.wires.get(neighbour, ()):
                if m & OPPOSITE[direction]:
                    todo.append((*neighbour, m))
    return reached


def check_drawing(drawing: Drawing) -> None:
    """Every invariant the issue names, with a message that says which one failed where."""
    layout = drawing.layout
    assert not overlapping(drawing), overlapping(drawing)
    assert not lines_inside(drawing), lines_inside(drawing)
    assert not bad_cells(drawing), bad_cells(drawing)
    consumers: dict[int, set[int]] = {v: set() for v in range(len(layout.operands))}
    for node, operands in enumerate(layout.operands):
        for operand in operands:
            consumers[operand].add(node)
    for node in range(len(layout.operands)):
        assert reached_ops(drawing, node) == consumers[node], (node, reached_ops(drawing, node), consumers[node])
        if layout.operands[node]:  # the op sits right of every operand's box and left of its result's
            op_left, op_right = drawing.op_x[node], drawing.op_x[node] + len(op_text(layout.ops[node]))
            assert op_right < drawing.box_x[node]
            for operand in layout.operands[node]:
                assert drawing.box_x[operand] + drawing.box_width[operand] < op_left
    assert all(0 <= x < drawing.width and 0 <= y < drawing.height for x, y in drawing.wires)
