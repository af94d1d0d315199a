"""The lines between two layers of the picture: channel routing on a grid of terminal cells.

Between layer r-1 and layer r lies a channel a few columns wide. Every element on the left that
has lines into layer r is one *net*: its line enters the channel on its exit row, runs down or up
a vertical *trunk* of its own, and branches right on each row it arrives at. One net per source is
what makes a value feeding several ops branch from one line; the two inputs of a binary op arrive
on different rows (the op's box's top and bottom) and join just before the op, outside the channel.

The rules that keep a drawing unambiguous, so that lines of different nets only ever cross at a
right angle (drawn as a crossing) and never touch otherwise:

- two trunks share a column only if their row spans are disjoint (left-edge packing);
- if a row holds the entry of net A and a branch of net B, A's trunk must lie left of B's (the
  "vertical constraint"); when those constraints form a cycle, one net of the cycle takes a
  *dogleg*: from its exit row it turns into a private column left of every trunk, runs to a row
  no pin uses, and crosses over to its trunk there, which frees it of every constraint.

This is the classic two-sided channel routing (left-edge algorithm with vertical constraints and
doglegs), turned on its side. Cells are given as direction bits per net; `mgtui.picture_draw`
turns them into box-drawing characters.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mgtui.picture_layout import Layering

NORTH, EAST, SOUTH, WEST = 1, 2, 4, 8
HORIZONTAL, VERTICAL = EAST | WEST, NORTH | SOUTH


@dataclass
class Net:
    source: int  # the element on the left
    entry: int  # the row it enters the channel by
    rows: list[int]  # the rows it leaves the channel by, top to bottom
    column: int = -1  # its trunk's column (-1: a straight line, no trunk)
    dogleg: int = -1  # its private column, if it takes a dogleg
    jog: int = -1  # the row its dogleg crosses over on

    @property
    def straight(self) -> bool:
        return self.rows == [self.entry]

    @property
    def span(self) -> tuple[int, int]:
        """The rows its trunk covers."""
        rows = [*self.rows, self.jog if self.dogleg >= 0 else self.entry]
        return min(rows), max(rows)


@dataclass
class ChannelRoute:
    """The lines of one channel: `width` columns, and per cell the direction bits of each net there."""

    width: int
    nets: list[Net]
    cells: dict[tuple[int, int], list[tuple[int, int]]] = field(default_factory=dict)  # (col, row) -> [(net, bits)]
    lowest_row: int = 0  # the last row it draws on (a dogleg may need one below the layers)


def route_channel(layering: Layering, layer: int) -> ChannelRoute:
    """Route every line from layer `layer` - 1 into layer `layer`."""
    nets = _nets(layering, layer)
    trunked = [net for net in nets if not net.straight]
    right_pins = {row: i for i, net in enumerate(nets) for row in net.rows}
    used_rows = set(right_pins) | {net.entry for net in nets}
    must_precede = _vertical_constraints(nets, right_pins)
    doglegs = _break_cycles(nets, must_precede)
    for i in doglegs:
        nets[i].jog = _free_row(nets[i], used_rows)
        used_rows.add(nets[i].jog)
    for k, i in enumerate(sorted(doglegs, key=lambda i: nets[i].entry)):
        nets[i].dogleg = 1 + k
    columns = _pack_trunks(nets, [i for i, net in enumerate(nets) if not net.straight], must_precede)
    for i, column in columns.items():
        nets[i].column = 1 + len(doglegs) + column
    width = 2 + len(doglegs) + (max(columns.values()) + 1 if columns else 0)
    route = ChannelRoute(width, nets)
    route.lowest_row = max([layering.height - 1, *(net.jog for net in trunked)])
    for i, net in enumerate(nets):
        for cell, bits in _cells_of(net, width).items():
            route.cells.setdefault(cell, []).append((i, bits))
    return route


def _nets(layering: Layering, layer: int) -> list[Net]:
    by_source: dict[int, Net] = {}
    for edge in layering.channels[layer]:
        net = by_source.get(edge.source)
        if net is None:
            net = by_source[edge.source] = Net(edge.source, layering.exit_row(edge.source), [])
        net.rows.append(layering.entry_row(edge))
    for net in by_source.values():
        net.rows.sort()
    return sorted(by_source.values(), key=lambda net: net.entry)


def _vertical_constraints(nets: list[Net], right_pins: dict[int, int]) -> dict[int, set[int]]:
    """must_precede[a] = the nets whose trunks must lie right of a's (they leave on a's entry row)."""
    must_precede: dict[int, set[int]] = {i: set() for i in range(len(nets))}
    for i, net in enumerate(nets):
        other = right_pins.get(net.entry, i)
        if other != i:
            must_precede[i].add(other)
    return must_precede


def _break_cycles(nets: list[Net], must_precede: dict[int, set[int]]) -> list[int]:
    """Give doglegs to nets on cycles of constraints until none is left; returns those nets."""
    doglegs: list[int] = []
    while True:
        remaining = _unsortable(must_precede)
        if not remaining:
            return doglegs
        # Walk back along constraints inside the unsortable part until a net repeats: it is on a cycle.
        before = {j: [i for i in remaining if j in must_precede[i]] for j in remaining}
        seen: list[int] = []
        net = min(remaining, key=lambda i: nets[i].entry)
        while net not in seen:
            seen.append(net)
            net = min(before[net], key=lambda i: nets[i].entry)
        must_precede[net] = set()
        doglegs.append(net)


def _unsortable(must_precede: dict[int, set[int]]) -> set[int]:
    """The nets a topological sort of the constraints cannot place (those on or after a cycle)."""
    waiting = {i: 0 for i in must_precede}
    for successors in must_precede.values():
        for j in successors:
            waiting[j] += 1
    ready = [i for i, count in waiting.items() if count == 0]
    while ready:
        i = ready.pop()
        for j in must_precede[i]:
            waiting[j] -= 1
            if waiting[j] == 0:
                ready.append(j)
    return {i for i, count in waiting.items() if count > 0}


def _free_row(net: Net, used_rows: set[int]) -> int:
    """The row for a dogleg to cross over on: no pin on it, as close to the net's rows as possible."""
    low, high = min(net.rows), max(net.rows)

    def cost(row: int) -> int:
        return abs(row - net.entry) + max(0, row - high) + max(0, low - row)

    reach = max(used_rows) + 2
    return min((row for row in range(0, reach + 1) if row not in used_rows), key=lambda row: (cost(row), row))


def _pack_trunks(nets: list[Net], trunked: list[int], must_precede: dict[int, set[int]]) -> dict[int, int]:
    """Trunk columns, left to right: each column takes the ready nets whose spans do not meet."""
    must_follow: dict[int, set[int]] = {i: set() for i in trunked}
    for i in trunked:
        for j in must_precede[i]:
            must_follow[j].add(i)
    column_of: dict[int, int] = {}
    column = 0
    while len(column_of) < len(trunked):
        ready = [i for i in trunked if i not in column_of and must_follow[i] <= column_of.keys()]
        ready.sort(key=lambda i: nets[i].span)
        bottom = None
        for i in ready:
            low, high = nets[i].span
            if bottom is None or low > bottom:
                column_of[i] = column
                bottom = high
        column += 1
    return column_of


def _cells_of(net: Net, width: int) -> dict[tuple[int, int], int]:
    """The direction bits of every cell of one net."""
    cells: dict[tuple[int, int], int] = {}

    def add(col: int, row: int, bits: int) -> None:
        cells[col, row] = cells.get((col, row), 0) | bits

    if net.straight:
        for col in range(width):
            add(col, net.entry, HORIZONTAL)
        return cells
    turn_row, start = net.entry, net.column
    if net.dogleg >= 0:  # out to the private column, along it to the jog row, then across
        start = net.dogleg
        _vertical(add, net.dogleg, net.entry, net.jog)
        add(net.dogleg, net.entry, WEST)
        add(net.dogleg, net.jog, EAST)
        for col in range(net.dogleg + 1, net.column):
            add(col, net.jog, HORIZONTAL)
        turn_row = net.jog
    for col in range(start):
        add(col, net.entry, HORIZONTAL)
    low, high = net.span
    _vertical(add, net.column, low, high)
    add(net.column, turn_row, WEST)
    for row in net.rows:
        add(net.column, row, EAST)
        for col in range(net.column + 1, width):
            add(col, row, HORIZONTAL)
    return cells


def _vertical(add, col: int, row_a: int, row_b: int) -> None:
    low, high = min(row_a, row_b), max(row_a, row_b)
    for row in range(low, high + 1):
        add(col, row, (NORTH if row > low else 0) | (SOUTH if row < high else 0))
