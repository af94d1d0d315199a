"""The graph as a Textual `Tree`: output at the root, operands as children in operand order.

Rows are drawn from the cursor's state at paint time (nothing is stored in labels), children are
added only when a node is expanded, and a step repaints only the rows of the nodes it touched, so
a step costs the same on a 10-node and a 100,000-node graph.

Depth is capped: a row deeper than `MAX_DEPTH` below the view's root is a "deeper" row, and
opening it re-roots the view there (Textual's Tree recurses once per visible level and gives out
near a thousand; a 5,000-deep chain is still one keypress away).
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

MAX_DEPTH = 10  # levels below the view's root before rows turn into "open deeper" rows
CONTEXT = 3  # when following re-roots the view, the levels kept above the step's node
EXPAND_ALL_BELOW = 400  # graphs with fewer nodes start fully expanded and are never folded


@dataclass(frozen=True)
class Row:
    node: int
    reference: bool = False  # a shared node drawn in full elsewhere
    deeper: bool = False  # at the depth cap: opening it re-roots the view here


class GraphTree(Tree[Row]):
    """The computation graph, following the cursor unless the user has moved away."""

    ICON_NODE = "+ "
    ICON_NODE_EXPANDED = "− "

    BINDINGS = [
        Binding("u", "view_up", "View up", show=False, id="tree.view_up"),
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
        self._highlighted: set[int] = set()
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
        for j, operand in enumerate(timeline.operands[row.node]):
            reference = not layout.is_home(row.node, j)
            deeper = not reference and depth >= MAX_DEPTH and bool(timeline.operands[operand])
            child = Row(operand, reference, deeper)
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

    def reveal(self, node: int) -> TreeNode[Row]:
        """Expand the tree down to where `node` is drawn in full and put the cursor on it."""
        layout = self.layout_model
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
        if self.fold_while_following:
            reshaped = self._fold_except(on_path) or reshaped
        if reshaped:  # line numbers are stale until the tree rebuilds them on refresh
            self._move_to(tree_node)
        else:
            self._expected_cursor = tree_node
            self._move_cursor_now(tree_node)
        return tree_node

    def _fold_except(self, keep: list[TreeNode[Row]]) -> bool:
        """Collapse what following expanded earlier, except the path just revealed."""
        keep_ids = {id(n) for n in keep}
        still_open, folded = [], False
        for tree_node in self._auto_expanded:
            if id(tree_node) in keep_ids:
                still_open.append(tree_node)
            elif tree_node.is_expanded:
                tree_node.collapse()
                folded = True
        self._auto_expanded = still_open
        return folded

    def _move_to(self, tree_node: TreeNode[Row]) -> None:
        self._expected_cursor = tree_node
        self.call_after_refresh(self._move_cursor_now, tree_node)

    def _move_cursor_now(self, tree_node: TreeNode[Row]) -> None:
        if tree_node is self._expected_cursor and tree_node.tree is self and tree_node.line >= 0:
            self.move_cursor(tree_node, animate=False)

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
        """Repaint after the cursor moved: the rows of `touched` nodes, or everything."""
        highlighted = self.highlighted_nodes()
        if full:
            self.root.refresh()  # every row's cache key includes the root's, so all repaint
            self.refresh()
        else:
            for node in touched | highlighted | self._highlighted:
                for tree_node in self._occurrences.get(node, ()):
                    if tree_node.line >= 0:
                        tree_node.refresh()
        self._highlighted = highlighted

    def highlighted_nodes(self) -> set[int]:
        """The last step's node, and the operands it read (forward) or passed gradient to (backward)."""
        step = self.cursor.last_step
        if step is None:
            return set()
        return {step.node} if step.phase == "seed" else {step.node, *step.operands}

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
        row = node.data
        if row is None:
            return text
        text.append_text(self.row_text(row, node is self.root))
        text.stylize(style)
        return text

    def get_label_width(self, node: TreeNode[Row]) -> int:
        return self.render_label(node, Style(), Style()).cell_len

    def row_text(self, row: Row, is_root: bool) -> Text:
        cursor, timeline = self.cursor, self.cursor.timeline
        step = cursor.last_step
        node = row.node
        text = Text()
        if step is not None and node == step.node:
            text.append(f"{present.CURRENT} ", self._style("current"))
        elif node in self.highlighted_nodes():
            text.append(f"{present.RECEIVING} ", self._style("operand"))
        if is_root and node != timeline.output_index:
            text.append("⤴ ", self._style("reference"))
        if row.reference:
            text.append(f"{present.REFERENCE} {timeline.name(node)}", self._style("reference"))
            return text
        text.append(timeline.name(node), self._style("name"))
        op = timeline.ops[node]
        if op:
            text.append(f"  {op}", self._style("op"))
        value, grad = cursor.value(node), cursor.grad(node)
        text.append("  ")
        text.append(present.number(value).strip(), self._style("unknown") if value is None else Style())
        text.append("  grad ", self._style("op"))
        text.append(present.number(grad).strip(), self._style("unknown") if grad is None else Style())
        if cursor.grad_is_final(node):
            text.append(f" {present.FINAL}", self._style("final"))
        if present.is_bad(value) or present.is_bad(grad) or cursor.flagged(node):
            text.append(f" {present.BAD}", self._style("bad"))
        if row.deeper:
            text.append("  ⤵ enter: open deeper", self._style("reference"))
        return text

    def selected_node(self) -> int | None:
        """The graph node under the tree's cursor."""
        tree_node = self.cursor_node
        return tree_node.data.node if tree_node is not None and tree_node.data is not None else None
