"""How a graph (a DAG) is drawn as a tree: each node in full once, a reference everywhere else.

A node's *home* is the first place a depth-first walk from the output meets it, operands in
operand order: that is where it is drawn with its own operands; every other use of it (a weight
shared by a hundred samples, the second `a` of ``a*a``) is a reference leaf pointing there.

A long sum is drawn as one row. ``sum(terms)`` and a neuron's ``b + w0·x0 + w1·x1 + ...`` build a
chain of ``+`` nodes, each adding one term to the partial sum below it: drawn as operands, a sum of
100 margins is a tree 100 levels deep. A chain of at least `MIN_FOLD` adds, each partial sum used
only by the next add, is *folded*: one row for its last node (the *head*) whose children are the
terms, in the order they were added. The partial sums have no row of their own; their steps are
shown on the head's row ("term 37 of 100").
"""

from __future__ import annotations

from array import array

from engine.stepping import Timeline

MIN_FOLD = 3  # adds in a chain before it is folded: the lecture's x1·w1 + x2·w2 + b keeps its two rows


class TreeLayout:
    def __init__(self, timeline: Timeline) -> None:
        self.timeline = timeline
        n = len(timeline.nodes)
        self.row_node = array("l", range(n))  # the node whose row shows this one: a folded chain's head, or itself
        self.chains: dict[int, list[int]] = {}  # head -> the chain's adds, first to last (the head)
        self._add_number: dict[int, int] = {}  # an add of a folded chain -> which add it is, from 1
        self._terms: dict[int, tuple[int, ...]] = {}  # a folded chain's head -> its terms (made on first use)
        self._fold_sum_chains()
        self.home_parent = array("l", [-1]) * n  # -1: the output, drawn at the root
        self.home_edge = array("l", [-1]) * n  # which child slot of home_parent it is drawn in
        self.depth = array("l", [0]) * n
        placed = bytearray(n)
        stack = [(timeline.output_index, -1, -1)]
        while stack:
            node, parent, edge = stack.pop()
            if placed[node]:
                continue
            placed[node] = 1
            self.home_parent[node], self.home_edge[node] = parent, edge
            self.depth[node] = self.depth[parent] + 1 if parent >= 0 else 0
            children = self.children(node)
            for j in reversed(range(len(children))):
                if not placed[children[j]]:
                    stack.append((children[j], node, j))
        for head, chain in self.chains.items():  # a partial sum is wherever its head is
            for inner in chain[:-1]:
                self.home_parent[inner], self.home_edge[inner] = self.home_parent[head], self.home_edge[head]
                self.depth[inner] = self.depth[head]

    def _fold_sum_chains(self) -> None:
        timeline = self.timeline
        operands, ops = timeline.operands, timeline.ops
        uses = array("l", [0]) * len(operands)
        for slots in operands:
            for o in slots:
                uses[o] += 1
        # below[i]: the partial sum that add i extends, when that sum is an add used by i alone
        below = {
            i: slots[0]
            for i, slots in enumerate(operands)
            if ops[i] == "+" and len(slots) == 2 and ops[slots[0]] == "+" and uses[slots[0]] == 1
        }
        extended = set(below.values())
        for head in below:
            if head in extended:
                continue  # not the last add of its chain
            chain = [head]
            while chain[-1] in below:
                chain.append(below[chain[-1]])
            if len(chain) >= MIN_FOLD:
                chain.reverse()
                self.chains[head] = chain
                for k, add in enumerate(chain, 1):
                    self.row_node[add] = head
                    self._add_number[add] = k

    # --- rows -------------------------------------------------------------------------------------

    def children(self, node: int) -> tuple[int, ...]:
        """What the row of `node` shows under it: its operands, or a folded chain's terms."""
        terms = self._terms.get(node)
        if terms is not None:
            return terms
        chain = self.chains.get(node)
        if chain is None:
            return self.timeline.operands[node]
        operands = self.timeline.operands
        terms = self._terms[node] = (*operands[chain[0]], *(operands[add][1] for add in chain[1:]))
        return terms

    def child_slots(self, node: int) -> tuple[int, ...]:
        """The child slots of `node`'s row that the step of `node` reads or passes gradient to."""
        k = self._add_number.get(node)
        if k is None:
            return tuple(range(len(self.timeline.operands[node])))
        return (0, 1) if k == 1 else (k,)  # add k adds child k (the first add: children 0 and 1)

    def term(self, node: int) -> tuple[int, int, int] | None:
        """For an add of a folded chain: (its head, which add it is from 1, how many adds)."""
        k = self._add_number.get(node)
        if k is None:
            return None
        head = self.row_node[node]
        return head, k, len(self.chains[head])

    def is_home(self, parent: int, edge: int) -> bool:
        """Is child slot `edge` of `parent`'s row where that child is drawn in full?"""
        child = self.children(parent)[edge]
        return self.home_parent[child] == parent and self.home_edge[child] == edge

    def path_to(self, node: int, top: int | None = None) -> list[int]:
        """The rows from `top` (default: the output) down to the row showing `node`."""
        path = [self.row_node[node]]
        while path[-1] != top and self.home_parent[path[-1]] >= 0:
            path.append(self.home_parent[path[-1]])
        path.reverse()
        return path

    def ancestor_at_depth(self, node: int, depth: int) -> int:
        node = self.row_node[node]
        while self.depth[node] > depth:
            node = self.home_parent[node]
        return node

    def is_below(self, node: int, top: int) -> bool:
        """Is `node` drawn (in full) somewhere under `top`?"""
        return self.ancestor_at_depth(node, self.depth[top]) == top
