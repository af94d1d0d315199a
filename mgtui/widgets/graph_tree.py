"""The graph as a Textual `Tree`: output at the root, operands as children in operand order.

Rows are drawn from the cursor's state at paint time (nothing is stored in labels), children are
added only when a node is expanded, and a step repaints only the rows of the nodes it touched, so
a step costs the same on a 10-node and a 100,000-node graph.

Depth is capped: a row deeper than `MAX_DEPTH` below the view's root is a "deeper" row, and
opening it re-roots the view there (Textual's Tree recurses once per visible level and gives out
near a thousand; a 5,000-deep chain is still one keypress away). A long sum is one row whose
children are its terms (`mgtui.layout`).

Marks: `▶` on the row of the step's node (where it is drawn in full), `◀` on the rows under it
that the step read or passed gradient to: the edges of this step, not every drawing of a node.
A row too long for the panel shortens its name first, so data and grad always show.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from engine.stepping import Cursor
from mgtui import present
from mgtui.layout import TreeLayout

MAX_DEPTH = 8  # levels below the view's root before rows turn into "open deeper" rows (80 columns fit 8)
CONTEXT = 3  # when following re-roots the view, the levels kept above the step's node
EXPAND_ALL_BELOW = 400  # graphs with fewer nodes start fully expanded and are never folded


@dataclass(frozen=True)
class Row:
    node: int
    reference: bool = False  # a shared node drawn in full elsewhere
    deeper: bool = False  # at the depth cap: opening it re-roots the view here
    slot: int = -1  # which child of its parent's row it is


class GraphTree(Tree[Row]):
    """The computation graph, following the cursor unless the user has moved away."""

    ICON_NODE = "+ "
    ICON_NODE_EXPANDED = "− "

    BINDINGS = [
        Binding("u", "view_up", "View up", show=False, id="tree.view_up", tooltip="Move a re-rooted view (⤴) back up"),
    ]

    COMPONENT_CLASSES = {
        "graph-tree--name",
        "graph-tree--op",
        "graph-tree--unknown",
        "graph-tree--current",
        "graph-tree--operand",
        "graph-tree--final",
        "graph-tree--bad",
        "graph-tree--reference",
    }

    class UserMoved(Message):
        """The user moved the tree's cursor away from the step being followed."""

    def __init__(self, cursor: Cursor, **kwargs) -> None:
        self.cursor = cursor
        self.layout_model = TreeLayout(cursor.timeline)
        self.view_root = cursor.timeline.output_index
        self._occurrences: dict[int, list[TreeNode[Row]]] = defaultdict(list)
        self._auto_expanded: list[TreeNode[Row]] = []
        self._marked: list[TreeNode[Row]] = []  # the rows marked ▶ and ◀ at the last repaint
        self._expected_cursor: TreeNode[Row] | None = None
        self._styles: dict[str, Style] = {}
        super().__init__("", data=Row(self.view_root), **kwargs)
        self.guide_depth = 2
        self._occurrences[self.view_root].append(self.root)
        self.fold_while_following = len(cursor.timeline.nodes) >= EXPAND_ALL_BELOW

    # --- building rows lazily --------------------------------------------------------------------

    def on_mount(self) -> None:
        self._title_view()
        self._populate(self.root)
        self.root.expand()
        if not self.fold_while_following:
            self._expand_everything(self.root)

    def _expand_everything(self, tree_node: TreeNode[Row]) -> None:
        stack = [tree_node]
        while stack:
            node = stack.pop()
            if node.allow_expand:
                self._populate(node)
                node.expand()
                stack.extend(node.children)

    def _populate(self, tree_node: TreeNode[Row]) -> None:
        row = tree_node.data
        if row is None or tree_node.children or not tree_node.allow_expand:
            return
        timeline, layout = self.cursor.timeline, self.layout_model
        depth = layout.depth[row.node] - layout.depth[self.view_root] + 1
        for j, operand in enumerate(layout.children(row.node)):
            reference = not layout.is_home(row.node, j)
            deeper = not reference and depth >= MAX_DEPTH and bool(timeline.operands[operand])
            child = Row(operand, reference, deeper, j)
            expandable = bool(timeline.operands[operand]) and not reference and not deeper
            added = tree_node.add("", data=child, allow_expand=expandable)
            self._occurrences[operand].append(added)

    def on_tree_node_expanded(self, event: Tree.NodeExpanded[Row]) -> None:
        self._populate(event.node)

    # --- following the cursor --------------------------------------------------------------------

    def set_view_root(self, node: int) -> None:
        """Draw the tree from `node` down (the output is the usual root)."""
        self.view_root = node
        self._occurrences.clear()
        self._auto_expanded.clear()
        self.reset("", Row(node))
        self._occurrences[node].append(self.root)
        self._populate(self.root)
        self.root.expand()
        if not self.fold_while_following:
            self._expand_everything(self.root)
        self._title_view()

    def _title_view(self) -> None:
        columns = "name  op  data  grad"
        if self.view_root == self.cursor.timeline.output_index:
            self.border_title = f"graph: {columns}"
        else:
            self.border_title = f"graph from {self.cursor.timeline.name(self.view_root)} (u: up): {columns}"

    def action_view_up(self) -> None:
        """Re-root the view higher up, towards the output."""
        layout = self.layout_model
        if self.view_root == self.cursor.timeline.output_index:
            return
        self.set_view_root(
            layout.ancestor_at_depth(self.view_root, max(0, layout.depth[self.view_root] - MAX_DEPTH // 2))
        )
        self._move_to(self.root)

    def go_to_output(self) -> None:
        """The whole graph from the top: the output at the root, the cursor on it."""
        if self.view_root != self.cursor.timeline.output_index:
            self.set_view_root(self.cursor.timeline.output_index)
        self._move_to(self.root)

    def reveal(self, node: int, open_row: bool = False) -> TreeNode[Row]:
        """Expand the tree down to the row that shows `node` in full and put the cursor on it.

        `open_row`: also open that row, so the rows a step of `node` reads or feeds are on screen.
        """
        layout = self.layout_model
        step_node, node = node, layout.row_node[node]
        reshaped = False
        within = layout.is_below(node, self.view_root)
        if not within or layout.depth[node] - layout.depth[self.view_root] >= MAX_DEPTH:
            self.set_view_root(layout.ancestor_at_depth(node, max(0, layout.depth[node] - CONTEXT)))
            reshaped = True
        path = layout.path_to(node, top=self.view_root)
        tree_node = self.root
        on_path = [tree_node]
        for graph_node in path[1:]:
            if not tree_node.is_expanded:
                self._populate(tree_node)
                tree_node.expand()
                self._auto_expanded.append(tree_node)
                reshaped = True
            tree_node = tree_node.children[layout.home_edge[graph_node]]
            on_path.append(tree_node)
        edge: TreeNode[Row] | None = None
        if open_row and tree_node.allow_expand:
            if not tree_node.is_expanded:
                self._populate(tree_node)
                tree_node.expand()
                self._auto_expanded.append(tree_node)
                reshaped = True
            slots = layout.child_slots(step_node)
            edge = tree_node.children[slots[0]] if slots else None  # the first: right under the row, or a sum's term
        if self.fold_while_following:
            reshaped = self._fold_except(on_path) or reshaped
        if reshaped:  # line numbers are stale until the tree rebuilds them on refresh
            self._move_to(tree_node, edge)
        else:
            self._expected_cursor = tree_node
            self._move_cursor_now(tree_node, edge)
        return tree_node

    def _fold_except(self, keep: list[TreeNode[Row]]) -> bool:
        """Collapse what following expanded earlier, except the path just revealed and the rows
        opened right under it: the steps around a node open its neighbours in turn, and keeping
        them open spares the tree a relayout (and a repaint of the screen) on most steps."""
        keep_ids = {id(n) for n in keep}
        still_open, folded = [], False
        for tree_node in self._auto_expanded:
            if id(tree_node) in keep_ids or (tree_node.parent is not None and id(tree_node.parent) in keep_ids):
                still_open.append(tree_node)
            elif tree_node.is_expanded:
                tree_node.collapse()
                folded = True
        self._auto_expanded = still_open
        return folded

    def _move_to(self, tree_node: TreeNode[Row], edge: TreeNode[Row] | None = None) -> None:
        self._expected_cursor = tree_node
        self.call_after_refresh(self._move_cursor_now, tree_node, edge)

    def _move_cursor_now(self, tree_node: TreeNode[Row], edge: TreeNode[Row] | None = None) -> None:
        """The cursor to `tree_node`, and the view scrolled as little as shows `edge` (a row the step feeds)."""
        if tree_node is self._expected_cursor and tree_node.tree is self and tree_node.line >= 0:
            self.move_cursor(tree_node, animate=False)
            if edge is not None and edge.line >= 0:
                self.scroll_to_line(edge.line, animate=False)

    def on_tree_node_selected(self, event: Tree.NodeSelected[Row]) -> None:
        """Enter on a reference goes to the node in full; on a "deeper" row, re-roots there."""
        row = event.node.data
        if row is None:
            return
        if row.reference:
            self._user_moved()
            self.reveal(row.node)
        elif row.deeper:
            self.set_view_root(row.node)
            self._move_to(self.root)

    # The user's own moves (keys or mouse) stop the tree from following the steps.

    def _user_moved(self) -> None:
        self._expected_cursor = None
        self.post_message(self.UserMoved())

    def action_cursor_up(self) -> None:
        self._user_moved()
        super().action_cursor_up()

    def action_cursor_down(self) -> None:
        self._user_moved()
        super().action_cursor_down()

    def action_page_up(self) -> None:
        self._user_moved()
        super().action_page_up()

    def action_page_down(self) -> None:
        self._user_moved()
        super().action_page_down()

    def action_scroll_home(self) -> None:
        self._user_moved()
        super().action_scroll_home()

    def action_scroll_end(self) -> None:
        self._user_moved()
        super().action_scroll_end()

    def action_cursor_parent(self) -> None:
        self._user_moved()
        super().action_cursor_parent()

    async def _on_click(self, event) -> None:
        self._user_moved()
        await super()._on_click(event)

    # --- repainting ------------------------------------------------------------------------------

    def show_step(self, touched: set[int], full: bool = False) -> None:
        """Repaint after the cursor moved: the rows of `touched` nodes and the marked rows, or everything."""
        marked = self._marked_rows()
        if full:
            self.root.refresh()  # every row's cache key includes the root's, so all repaint
            self.refresh()
        else:
            rows = [n for node in touched for n in self._occurrences.get(self.layout_model.row_node[node], ())]
            for tree_node in dict.fromkeys([*rows, *marked, *self._marked]):
                if tree_node.line >= 0:
                    tree_node.refresh()
        self._marked = marked

    def _marked_rows(self) -> list[TreeNode[Row]]:
        """The rows the last step marks (▶ and its ◀ edges), among those made so far."""
        step = self.cursor.last_step
        if step is None:
            return []
        layout = self.layout_model
        rows = [n for n in self._occurrences.get(layout.row_node[step.node], ()) if not n.data.reference]
        if step.phase != "seed":
            slots = layout.child_slots(step.node)
            rows += [row.children[j] for row in rows[:1] for j in slots if j < len(row.children)]
        return rows

    def marks(self, tree_node: TreeNode[Row]) -> tuple[bool, bool]:
        """(is this the row of the step's node, is it an edge the step read or passed gradient along)."""
        step, row = self.cursor.last_step, tree_node.data
        if step is None or row is None:
            return False, False
        current = self.layout_model.row_node[step.node]
        if row.node == current and not row.reference:
            return True, False
        parent = tree_node.parent
        if step.phase == "seed" or parent is None or parent.data is None or parent.data.node != current:
            return False, False
        return False, row.slot in self.layout_model.child_slots(step.node)

    def notify_style_update(self) -> None:
        self._styles.clear()
        super().notify_style_update()

    def _style(self, name: str) -> Style:
        style = self._styles.get(name)
        if style is None:
            style = self._styles[name] = self.get_component_rich_style(f"graph-tree--{name}", partial=True)
        return style

    def render_label(self, node: TreeNode[Row], base_style: Style, style: Style) -> Text:
        text = super().render_label(node, base_style, style) if node.allow_expand else Text()
        if node.data is None:
            return text
        # Room for the row whether or not the vertical scrollbar shows (its coming and going does
        # not re-render cached lines): a row never runs under it into a horizontal scrollbar.
        room = self.size.width - self.styles.scrollbar_size_vertical - self._guide_width(node) - text.cell_len
        text.append_text(self.row_text(node, room))
        text.stylize(style)
        return text

    def _guide_width(self, node: TreeNode[Row]) -> int:
        depth, parent = 0, node.parent
        while parent is not None:
            depth, parent = depth + 1, parent.parent
        return depth * self.guide_depth

    def get_label_width(self, node: TreeNode[Row]) -> int:
        """Every row fits the panel (see `row_text`), so nothing needs to scroll sideways: the tree
        asks this of every line whenever a step opens or folds a row, and gets it without a drawing."""
        return 1

    def row_text(self, tree_node: TreeNode[Row], room: int = 10**6) -> Text:
        """The row of a node: marks, name, op, data, grad, final/bad marks, in at most `room` cells."""
        row = tree_node.data
        cursor, timeline, layout = self.cursor, self.cursor.timeline, self.layout_model
        node = row.node
        current, edge = self.marks(tree_node)
        mark: tuple[str, Style] | None = None
        if current:
            mark = (f"{present.CURRENT} ", self._style("current"))
        elif edge:
            mark = (f"{present.RECEIVING} ", self._style("operand"))
        lead = "⤴ " if tree_node is self.root and node != timeline.output_index else ""
        if row.reference:
            text = Text()
            if mark:
                text.append(*mark)
            text.append(f"{lead}{present.REFERENCE} ", self._style("reference"))
            text.append(present.shorten(timeline.name(node), max(4, room - text.cell_len)), self._style("reference"))
            return text
        value, grad = cursor.value(node), cursor.grad(node)
        op = "Σ" if node in layout.chains else str(timeline.ops[node])
        final = present.final_mark(cursor, node)
        marks = f" {final}" if final else ""
        if present.is_bad(value) or present.is_bad(grad) or cursor.flagged(node):
            marks += f" {present.BAD}"
        extra, short_extra = "", ""
        if row.deeper:
            extra, short_extra = "  ⤵ enter: open deeper", "  ⤵"
        elif (current or edge) and (term := layout.term(cursor.last_step.node)) is not None:
            extra = f"  term {term[1]}/{term[2]}"  # on the sum's row and on the term it adds: far apart
        value_text, grad_text = present.number(value).strip(), present.number(grad).strip()
        name = timeline.name(node)
        fixed = (len(mark[0]) if mark else 0) + len(lead) + len(value_text) + len(grad_text) + len(marks)
        # Too long for the panel: first fewer words ("grad" is the column's title, then the hint
        # after the numbers), then a shorter name (down to 8), then fewer spaces; never the numbers.
        candidates = [
            ("  ", "  grad ", extra, len(name)),
            ("  ", "  ", extra, len(name)),
            ("  ", "  ", short_extra, len(name)),
            ("  ", "  ", short_extra, 8),
            (" ", " ", short_extra, 8),
            (" ", " ", "", 3),
        ]
        for gap, grad_word, hint, shortest in candidates:
            used = fixed + (len(gap) + len(op) if op else 0) + len(gap) + len(grad_word) + len(hint)
            if used + min(len(name), shortest) <= room:
                break
        name = present.shorten(name, max(3, room - used))
        text = Text()
        if mark:
            text.append(*mark)
        if lead:
            text.append(lead, self._style("reference"))
        text.append(name, self._style("name"))
        if op:
            text.append(f"{gap}{op}", self._style("op"))
        text.append(gap)
        text.append(value_text, self._style("unknown") if value is None else Style())
        text.append(grad_word, self._style("op"))
        text.append(grad_text, self._style("unknown") if grad is None else Style())
        if final:
            text.append(f" {final}", self._style("final" if final == present.FINAL else "bad"))
        if present.BAD in marks:
            text.append(f" {present.BAD}", self._style("bad"))
        if hint:
            text.append(hint, self._style("reference"))
        return text

    def selected_node(self) -> int | None:
        """The graph node under the tree's cursor."""
        tree_node = self.cursor_node
        return tree_node.data.node if tree_node is not None and tree_node.data is not None else None
