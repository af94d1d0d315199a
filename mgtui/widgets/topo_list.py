"""The topological order as a list, with the cursor: the forward pass walks down it, backward up.

A Line-API scroll view: only the visible rows are ever rendered, so the list costs the same for
ten nodes and a hundred thousand.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from engine.stepping import Cursor
from mgtui import present

ROW_WIDTH = 29  # mark, name, op, value, final: the panel's 30 columns less its scrollbar's one
NAME_WIDTH = 12  # s1.L1.n3.out whole; longer names lose their middle
OP_WIDTH = 4  # dropped when the list is narrower than a full row (a narrow terminal)


class TopoList(ScrollView, can_focus=True):
    """Every node in topological order: the last step's node marked ▶, leaves ○, grads final ✓."""

    BINDINGS = [
        Binding("up", "move(-1)", "Up", show=False),
        Binding("down", "move(1)", "Down", show=False),
        Binding("pageup", "move(-10)", show=False),
        Binding("pagedown", "move(10)", show=False),
        Binding("home", "move_to(0)", show=False),
        Binding("end", "move_to(-1)", show=False),
        Binding("enter", "choose", "Show in tree", show=False),
    ]

    COMPONENT_CLASSES = {"topo-list--current", "topo-list--selected", "topo-list--leaf", "topo-list--bad"}

    class Chosen(Message):
        """The user chose a node in the list (enter)."""

        def __init__(self, node: int) -> None:
            super().__init__()
            self.node = node

    def __init__(self, cursor: Cursor, **kwargs) -> None:
        super().__init__(**kwargs)
        self.cursor = cursor
        self.selected = 0  # the list's own row cursor, moved by arrow keys
        self._current = -1
        self._styles_of: dict[str, Style] = {}
        self.virtual_size = Size(ROW_WIDTH, len(cursor.timeline.nodes))

    def show_step(self, touched: set[int], full: bool = False) -> None:
        """Repaint after the cursor moved and keep the current node in view (at the start: the top)."""
        step = self.cursor.last_step
        current = step.node if step else -1
        if full or current == -1:
            self.refresh()
        else:
            for node in {self._current, current, *touched}:
                self._refresh_row(node)
        self._current = current
        self.selected = max(current, 0)
        self._scroll_into_view(self.selected)

    def _refresh_row(self, node: int) -> None:
        """Repaint the row of `node` if it is on screen (row = node: the list is the topo order)."""
        y = node - self.scroll_offset.y
        if node >= 0 and 0 <= y < self.size.height:
            self.refresh(Region(0, y, self.size.width, 1))

    def _scroll_into_view(self, row: int) -> None:
        top, height = self.scroll_offset.y, self.size.height
        if height <= 0:
            return
        if row < top or row >= top + height:
            self.scroll_to(y=max(0, row - height // 2), animate=False)

    def action_move(self, delta: int) -> None:
        self.action_move_to(self.selected + delta)

    def action_move_to(self, row: int) -> None:
        count = len(self.cursor.timeline.nodes)
        old = self.selected
        self.selected = row % count if row < 0 else min(max(row, 0), count - 1)
        self._refresh_row(old)
        self._refresh_row(self.selected)
        self._scroll_into_view(self.selected)

    def action_choose(self) -> None:
        self.post_message(self.Chosen(self.selected))

    def render_line(self, y: int) -> Strip:
        row = y + self.scroll_offset.y
        width = self.size.width
        timeline = self.cursor.timeline
        if row >= len(timeline.nodes):
            return Strip.blank(width, self.rich_style)
        return Strip(self._row_segments(row, width), width).crop(0, width)

    def _row_segments(self, node: int, width: int) -> list[Segment]:
        cursor, timeline = self.cursor, self.cursor.timeline
        base = self.rich_style
        step = cursor.last_step
        is_current = step is not None and node == step.node
        is_leaf = not timeline.operands[node]
        mark = present.CURRENT if is_current else (present.LEAF if is_leaf else " ")
        op = str(timeline.ops[node]) if timeline.ops[node] else ""
        final = present.BAD if cursor.flagged(node) else (present.final_mark(cursor, node) or " ")
        value = present.number(cursor.value(node), 8)
        room = width - self.styles.scrollbar_size_vertical  # the rows end where the scrollbar starts
        if room >= ROW_WIDTH:
            name = present.shorten(timeline.name(node), NAME_WIDTH)
            text = f"{mark}{name:<{NAME_WIDTH}} {op[:OP_WIDTH]:<{OP_WIDTH}} {value} {final}"
        else:  # narrow: no op column, the name gets what is left
            name_width = max(3, room - len(value) - 4)
            text = f"{mark}{present.shorten(timeline.name(node), name_width):<{name_width}} {value} {final}"
        style = base
        if is_leaf:
            style += self._style("leaf")
        if is_current:
            style += self._style("current")
        if cursor.flagged(node):
            style += self._style("bad")
        if node == self.selected and self.has_focus:
            style += self._style("selected")
        return [Segment(text.ljust(width), style)]

    def _style(self, name: str) -> Style:
        """A component class's style, looked up once per theme (every row of every repaint asks)."""
        style = self._styles_of.get(name)
        if style is None:
            style = self._styles_of[name] = self.get_component_rich_style(f"topo-list--{name}", partial=True)
        return style

    def notify_style_update(self) -> None:
        self._styles_of.clear()
        super().notify_style_update()

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return ROW_WIDTH
