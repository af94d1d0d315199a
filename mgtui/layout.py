"""How a graph (a DAG) is drawn as a tree: each node in full once, a reference everywhere else.

A node's *home* is the first place a depth-first walk from the output meets it, operands in
operand order: that is where it is drawn with its own operands; every other use of it (a weight
shared by a hundred samples, the second `a` of ``a*a``) is a reference leaf pointing there.
"""

from __future__ import annotations

from array import array

from engine.stepping import Timeline


class TreeLayout:
    def __init__(self, timeline: Timeline) -> None:
        self.timeline = timeline
        n = len(timeline.nodes)
        self.home_parent = array("l", [-1]) * n  # -1: the output, drawn at the root
        self.home_edge = array("l", [-1]) * n  # which operand slot of home_parent it is drawn in
        self.depth = array("l", [0]) * n
        placed = bytearray(n)
        stack = [(timeline.output_index, -1, -1)]
        operands = timeline.operands
        while stack:
            node, parent, edge = stack.pop()
            if placed[node]:
                continue
            placed[node] = 1
            self.home_parent[node], self.home_edge[node] = parent, edge
            self.depth[node] = self.depth[parent] + 1 if parent >= 0 else 0
            for j in reversed(range(len(operands[node]))):
                if not placed[operands[node][j]]:
                    stack.append((operands[node][j], node, j))

    def is_home(self, parent: int, edge: int) -> bool:
        """Is operand slot `edge` of `parent` where that operand is drawn in full?"""
        child = self.timeline.operands[parent][edge]
        return self.home_parent[child] == parent and self.home_edge[child] == edge

    def path_to(self, node: int, top: int | None = None) -> list[int]:
        """The home ancestors of `node` from `top` (default: the output) down to `node` itself."""
        path = [node]
        while path[-1] != top and self.home_parent[path[-1]] >= 0:
            path.append(self.home_parent[path[-1]])
        path.reverse()
        return path

    def ancestor_at_depth(self, node: int, depth: int) -> int:
        while self.depth[node] > depth:
            node = self.home_parent[node]
        return node

    def is_below(self, node: int, top: int) -> bool:
        """Is `node` drawn (in full) somewhere under `top`?"""
        return self.ancestor_at_depth(node, self.depth[top]) == top
