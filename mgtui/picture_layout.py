"""Where each part of the lecture's picture goes, in terminal rows: a small layered (Sugiyama) layout.

The picture is `draw_dot`'s: values left to right in layers, each op feeding its result. Here an
op node is not a layer of its own: it sits just left of its result's box, on the box's middle row,
so a layer is a column of boxes, each with its op in front of it. Lines that skip layers pass
through them on rows of their own (*dummies*), one row per value and layer however many of the
value's consumers lie further on, so a value feeding several ops branches from one line.

The steps, each the textbook one kept small (graphs here have at most a hundred or so values):

1. layers: longest path from the leaves, then each node moved within its slack towards the side
   with more edges (a leaf sits just before its first consumer, as graphviz puts it);
2. order within layers: barycenter sweeps down and up, keeping the order with fewest crossings;
3. rows: each layer placed, in its order and with its gaps, where its lines bend least (a median
   isotonic regression, solved exactly by pool-adjacent-violators), sweeping both ways.

Everything is in rows and layer indices; `mgtui.picture_routes` routes the lines between layers
and `mgtui.picture_draw` turns layers into columns for one box form. No Textual here.
"""

from __future__ import annotations

import math
from bisect import bisect_right, insort
from collections.abc import Sequence
from dataclasses import dataclass, field

BOX_HEIGHT = 3  # label / data / grad, or the one-row record between its borders
MIDDLE = 1  # the box row lines leave from and the op arrow enters at
BOX_GAP = 1  # blank rows between two boxes of a layer, or a box and a passing line
ORDER_SWEEPS = 12
PLACE_SWEEPS = 6


@dataclass(frozen=True)
class Edge:
    """A line from `source` (an element of one layer) to `target` (an element of the next).

    `port` is the target's row the line arrives at, counted from the target's top: a binary op
    takes its first operand on its box's top row and its second on the bottom row (the lines join
    just before the op), everything else arrives on the middle row, dummies on their one row.
    """

    source: int
    target: int
    port: int


@dataclass
class Layering:
    """Layers of elements with their rows; element i < node_count draws value i, the rest are dummies."""

    node_count: int
    element_node: list[int]  # the value each element draws or carries the line of
    element_layer: list[int]
    layers: list[list[int]]  # top to bottom
    top: list[int]  # the element's first row
    channels: list[list[Edge]]  # channels[r]: the lines from layer r-1 into layer r (channels[0] is empty)
    height: int = 0
    incoming: list[list[Edge]] = field(default_factory=list)
    outgoing: list[list[Edge]] = field(default_factory=list)

    def is_dummy(self, element: int) -> bool:
        return element >= self.node_count

    def element_height(self, element: int) -> int:
        return 1 if self.is_dummy(element) else BOX_HEIGHT

    def exit_row(self, element: int) -> int:
        """The row a line leaves this element by."""
        return self.top[element] + (0 if self.is_dummy(element) else MIDDLE)

    def entry_row(self, edge: Edge) -> int:
        return self.top[edge.target] + edge.port


def layer_graph(operands: Sequence[tuple[int, ...]], output: int) -> Layering:
    """The layered layout of a graph given as each node's operands (nodes in topological order)."""
    consumers = consumers_of(operands)
    ranks = assign_ranks(operands, consumers, output)
    layering = _with_dummies(operands, consumers, ranks)
    order_layers(layering)
    place_rows(layering)
    return layering


def consumers_of(operands: Sequence[tuple[int, ...]]) -> list[list[int]]:
    consumers: list[list[int]] = [[] for _ in operands]
    for node, ops in enumerate(operands):
        for operand in dict.fromkeys(ops):
            consumers[operand].append(node)
    return consumers


def assign_ranks(operands: Sequence[tuple[int, ...]], consumers: list[list[int]], output: int) -> list[int]:
    """Each node's layer: after all its operands, and where its lines are shortest.

    Longest path first (every node as far left as it can be); then, while it helps, a node with
    more consumers than operands (every leaf) moves as far right as it can and one with fewer as
    far left, which shortens the sum of its lines. Each move shortens the total, so the loop ends.
    """
    n = len(operands)
    rank = [0] * n
    for node in range(n):
        if operands[node]:
            rank[node] = 1 + max(rank[o] for o in operands[node])
    moved = True
    while moved:
        moved = False
        for node in reversed(range(n)):
            if node == output or not consumers[node]:
                continue
            ins, outs = len(set(operands[node])), len(consumers[node])
            if ins == outs:
                continue
            # one layer right shortens each line out by one and lengthens each line in by one
            if outs > ins:
                best = min(rank[c] for c in consumers[node]) - 1
            else:
                best = 1 + max(rank[o] for o in operands[node])
            if best != rank[node]:
                rank[node] = best
                moved = True
    lowest = min(rank)
    return [r - lowest for r in rank]


def _port(operands: tuple[int, ...], operand: int) -> int:
    if len(operands) == 2 and operands[0] != operands[1]:
        return 0 if operand == operands[0] else BOX_HEIGHT - 1
    return MIDDLE


def _with_dummies(operands: Sequence[tuple[int, ...]], consumers: list[list[int]], ranks: list[int]) -> Layering:
    """Elements per layer (values, then one dummy per value and layer its line passes) and the lines."""
    n = len(operands)
    depth = max(ranks) + 1
    element_node, element_layer = list(range(n)), list(ranks)
    layers: list[list[int]] = [[] for _ in range(depth)]
    for node in range(n):
        layers[ranks[node]].append(node)
    channels: list[list[Edge]] = [[] for _ in range(depth)]
    carrier: dict[tuple[int, int], int] = {}  # (value, layer) -> the element its line leaves that layer by
    for node in range(n):
        carrier[node, ranks[node]] = node
        furthest = max((ranks[c] for c in consumers[node]), default=ranks[node])
        for layer in range(ranks[node] + 1, furthest):
            dummy = len(element_node)
            element_node.append(node)
            element_layer.append(layer)
            layers[layer].append(dummy)
            channels[layer].append(Edge(carrier[node, layer - 1], dummy, 0))
            carrier[node, layer] = dummy
    for node in range(n):
        for operand in dict.fromkeys(operands[node]):
            source = carrier[operand, ranks[node] - 1]
            channels[ranks[node]].append(Edge(source, node, _port(operands[node], operand)))
    count = len(element_node)
    layering = Layering(n, element_node, element_layer, layers, [0] * count, channels)
    layering.incoming = [[] for _ in range(count)]
    layering.outgoing = [[] for _ in range(count)]
    for channel in channels:
        for edge in channel:
            layering.incoming[edge.target].append(edge)
            layering.outgoing[edge.source].append(edge)
    return layering


# --- order within layers ---------------------------------------------------------------------------


def order_layers(layering: Layering) -> None:
    """Reorder each layer to cut crossings: barycenter sweeps, keeping the best order seen.

    Ties keep the current order, and the start is the topological order (operands before the nodes
    using them, first operand first), so a graph reads top to bottom like the tree view.
    """
    layers = layering.layers
    position = _positions(layers)
    best, best_crossings = [list(layer) for layer in layers], count_crossings(layering, position)
    for sweep in range(ORDER_SWEEPS):
        downward = sweep % 2 == 0
        indices = range(1, len(layers)) if downward else range(len(layers) - 2, -1, -1)
        for r in indices:
            neighbour = len(layers[r - 1] if downward else layers[r + 1])
            scale = max(1, neighbour - 1) / max(1, len(layers[r]) - 1)

            def key(element: int, scale: float = scale, downward: bool = downward) -> float:
                if downward:
                    edges = layering.incoming[element]
                    places = [position[e.source] for e in edges]
                else:
                    edges = layering.outgoing[element]
                    places = [position[e.target] + (e.port - MIDDLE) / (4 * MIDDLE) for e in edges]
                return sum(places) / len(places) if places else position[element] * scale

            layers[r].sort(key=key)
            for i, element in enumerate(layers[r]):
                position[element] = i
        crossings = count_crossings(layering, position)
        if crossings < best_crossings:
            best, best_crossings = [list(layer) for layer in layers], crossings
    layering.layers = best


def _positions(layers: list[list[int]]) -> dict[int, int]:
    return {element: i for layer in layers for i, element in enumerate(layer)}


def count_crossings(layering: Layering, position: dict[int, int]) -> int:
    """Pairs of lines between adjacent layers that cross (ports of one op count in order)."""
    total = 0
    for channel in layering.channels:
        ends = sorted((position[e.source], position[e.target] * BOX_HEIGHT + e.port) for e in channel)
        seen: list[int] = []
        for _, end in ends:  # lines starting higher and ending lower than this one cross it
            total += len(seen) - bisect_right(seen, end)
            insort(seen, end)
    return total


# --- rows --------------------------------------------------------------------------------------------


def place_rows(layering: Layering) -> None:
    """Give every element its top row: each line as straight as the order and the gaps allow.

    Layers are first stacked from row 0; then, sweeping right and left, each layer is moved as
    close as it can get to where its lines come from (or go to), keeping its order and gaps.
    """
    for layer in layering.layers:
        _stack(layering, layer)
    layers = layering.layers
    for sweep in range(PLACE_SWEEPS):
        downward = sweep % 2 == 0
        indices = range(1, len(layers)) if downward else range(len(layers) - 2, -1, -1)
        for r in indices:
            _place_layer(layering, layers[r], downward)
    lowest = min(layering.top)
    layering.top = [t - lowest for t in layering.top]
    layering.height = max(layering.top[e] + layering.element_height(e) for e in range(len(layering.top)))


def _separation(layering: Layering, upper: int, lower: int) -> int:
    """Rows from the top of `upper` to the top of `lower`, its neighbour below in a layer."""
    both_lines = layering.is_dummy(upper) and layering.is_dummy(lower)
    return layering.element_height(upper) + (0 if both_lines else BOX_GAP)


def _stack(layering: Layering, layer: list[int]) -> None:
    row = 0
    for i, element in enumerate(layer):
        if i:
            row += _separation(layering, layer[i - 1], element)
        layering.top[element] = row


def _place_layer(layering: Layering, layer: list[int], downward: bool) -> None:
    """Move a layer's elements, in order and with their gaps, to where their lines want them.

    Each line pulls its element to the row that makes it straight; the element goes where the sum
    of its lines' bends (in rows) is least. That is a median, not a mean: of a binary op's two
    inputs, which can never both be straight (the box's ports are two rows apart, the boxes four),
    one is straight and one bends, rather than both bending half as much.
    """
    wanted: list[list[tuple[float, float]]] = []
    for element in layer:
        if downward:
            rows = [layering.exit_row(e.source) - e.port for e in layering.incoming[element]]
        else:
            offset = layering.exit_row(element) - layering.top[element]
            rows = [layering.entry_row(e) - offset for e in layering.outgoing[element]]
        # nothing pulls it this way: it stays, but gives way easily
        wanted.append([(float(row), 1.0) for row in rows] or [(float(layering.top[element]), 0.25)])
    offsets = [0]
    for i in range(1, len(layer)):
        offsets.append(offsets[-1] + _separation(layering, layer[i - 1], layer[i]))
    current = [layering.top[element] - offset for element, offset in zip(layer, offsets)]
    shifts = isotonic_median([[(row - offset, w) for row, w in rows] for rows, offset in zip(wanted, offsets)], current)
    for element, shift, offset in zip(layer, shifts, offsets):
        layering.top[element] = math.floor(shift) + offset


def isotonic_median(wanted: Sequence[Sequence[tuple[float, float]]], current: Sequence[float]) -> list[float]:
    """The non-decreasing sequence x minimising the sum over i of weight · |x[i] − value| over wanted[i].

    Pool adjacent violators with weighted medians. Where a whole range of rows is optimal (two
    lines pulling apart), the block stays as close to where it is (`current`) as the range allows:
    otherwise every sweep would push the picture a row further down, a staircase.
    """
    blocks: list[tuple[list[tuple[float, float]], list[float], float]] = []  # (values and weights, current, x)
    for entries, here in zip(wanted, current):
        block = (sorted(entries), [here], _median(sorted(entries), [here]))
        while blocks and blocks[-1][2] > block[2]:
            values, heres, _ = blocks.pop()
            merged, heres = sorted(values + block[0]), heres + block[1]
            block = (merged, heres, _median(merged, heres))
        blocks.append(block)
    result: list[float] = []
    for _, heres, x in blocks:
        result.extend([x] * len(heres))
    return result


def _median(entries: list[tuple[float, float]], current: list[float]) -> float:
    """The weighted median of sorted entries; of a range of medians, the point nearest the current mean."""
    half = sum(w for _, w in entries) / 2
    total, low = 0.0, entries[-1][0]
    for i, (value, weight) in enumerate(entries):
        total += weight
        if total >= half:
            low = value
            high = entries[i + 1][0] if total == half and i + 1 < len(entries) else value
            return min(max(sum(current) / len(current), low), high)
    return low
