"""The lecture's picture as a widget: `draw_dot`'s drawing of the graph, its numbers following the cursor.

A Line-API scroll view over a `Drawing`: the layout is computed once per graph (on first show),
the box form is picked for the widget's width (the record if it fits, else the compact box), and
a step repaints the few boxes it touched and scrolls the step's node into view. Arrow keys,
PgUp/PgDn and Home/End scroll (← and → a few columns at a time).
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual.actions import SkipAction
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from engine.stepping import Cursor, Timeline
from mgtui.picture_draw import Drawing, Mark, PictureLayout, box_state, highlighted, op_text

ROLES = ("line", "op", "frame", "label", "number", "unknown", "mark", "final", "bad", "current", "operand")
COLUMNS_PER_KEY = 4  # pictures are far wider than tall: one column per ← or → would crawl


class PictureView(ScrollView, can_focus=True):
    """The graph drawn as in the lecture: value boxes, op nodes, lines between them."""

    COMPONENT_CLASSES = {f"picture--{role}" for role in ROLES}

    def __init__(self, cursor: Cursor, **kwargs) -> None:
        super().__init__(**kwargs)
        self.cursor = cursor
        self._timeline: Timeline | None = None
        self._layout: PictureLayout | None = None
        self.drawing: Drawing | None = None
        self._marks: dict[int, Mark] = {}
        self._mg_styles: dict[str, Style] = {}

    # --- the drawing for this graph and this width ------------------------------------------------

    def _ensure_drawing(self) -> Drawing:
        """The drawing for the cursor's graph at the widget's width (laid out once per graph)."""
        timeline = self.cursor.timeline
        if self._layout is None or timeline is not self._timeline:  # a rebuilt timeline may need wider numbers
            self._timeline, self._layout = timeline, PictureLayout.of(timeline)
            self.drawing = None
        drawing = self._layout.fitting(max(1, self.scrollable_content_region.width))
        if drawing is not self.drawing:
            self.drawing = drawing
            self.virtual_size = Size(drawing.width, drawing.height)
            self.border_title = (
                "picture: label │ data │ grad" if drawing.form == "record" else "picture: label / data / grad"
            )
            self.refresh()
        return drawing

    def on_resize(self) -> None:
        """A new width may mean a new box form: show the step again. A row more or less (a note
        coming and going under the panel) keeps what the user scrolled to."""
        if self._layout is not None:
            before = self.drawing
            if self._ensure_drawing() is not before:
                self._scroll_to_step()

    # --- following the cursor ---------------------------------------------------------------------

    def show_step(self, touched: set[int], full: bool = False) -> None:
        """Repaint after the cursor moved: the boxes whose numbers or marks changed, or everything."""
        drawing = self._ensure_drawing()
        marks = highlighted(self.cursor)
        changed = touched | marks.keys() | self._marks.keys()
        self._marks = marks
        if full:
            self.refresh()
        else:
            for node in changed:
                self._refresh_node(drawing, node)
        self._scroll_to_step()

    def _refresh_node(self, drawing: Drawing, node: int) -> None:
        scroll_x, scroll_y = self.scroll_offset
        self.refresh(self._node_region(drawing, node).translate((-scroll_x, -scroll_y)))

    @staticmethod
    def _node_region(drawing: Drawing, node: int) -> Region:
        """A node's box with its op node in front (they light up together)."""
        x, y, width, height = drawing.box_of(node)
        if drawing.op_x[node] >= 0:
            width += x - drawing.op_x[node]
            x = drawing.op_x[node]
        return Region(x, y, width, height)

    def _scroll_to_step(self) -> None:
        """Bring the step into view: its node, and the operands it reads or feeds as far as they fit.

        Each axis on its own: operands a layer to the left usually fit the width even when they sit
        too far above or below to fit the height, and then their columns still come into view.
        """
        step = self.cursor.current_step
        drawing = self.drawing
        if step is None or drawing is None:
            return
        node = self._node_region(drawing, step.node)
        whole = Region.from_union([node, *(Region(*drawing.box_of(o)) for o in step.operands)])
        window = self.scrollable_content_region.size
        x, width = (whole.x, whole.width) if whole.width <= window.width else (node.x, node.width)
        y, height = (whole.y, whole.height) if whole.height <= window.height else (node.y, node.height)
        self.scroll_to_region(Region(x, y, width, height), animate=False, immediate=True)

    def reveal(self, node: int) -> None:
        """Scroll so `node`'s box is on screen."""
        drawing = self._ensure_drawing()
        self.scroll_to_region(Region(*drawing.box_of(node)), animate=False, immediate=True)

    def action_scroll_left(self) -> None:
        if not self.allow_horizontal_scroll:
            raise SkipAction()
        self.scroll_relative(x=-COLUMNS_PER_KEY, animate=False)

    def action_scroll_right(self) -> None:
        if not self.allow_horizontal_scroll:
            raise SkipAction()
        self.scroll_relative(x=COLUMNS_PER_KEY, animate=False)

    # --- painting ----------------------------------------------------------------------------------

    def notify_style_update(self) -> None:
        self._mg_styles.clear()
        super().notify_style_update()

    def _style(self, role: str) -> Style:
        style = self._mg_styles.get(role)
        if style is None:
            style = self._mg_styles[role] = self.get_component_rich_style(f"picture--{role}", partial=True)
        return style

    def render_line(self, y: int) -> Strip:
        drawing = self.drawing
        width = self.size.width
        scroll_x, scroll_y = self.scroll_offset
        row = y + scroll_y
        if drawing is None or row >= drawing.height:
            return Strip.blank(width, self.rich_style)
        base = self.rich_style
        segments: list[Segment] = []
        cursor, marks, ops = self.cursor, self._marks, drawing.layout.ops
        for piece in drawing.rows[row]:
            if piece[0] == "text":
                segments.append(Segment(piece[1], base + self._style("line")))
            elif piece[0] == "op":
                node = piece[1]
                style = base + self._style("op")
                if marks.get(node) == "current":
                    style += self._style("current")
                segments.append(Segment(op_text(ops[node]), style))
            else:
                node, box_row = piece[1], piece[2]
                state = box_state(cursor, node, marks)
                highlight = self._style(state.mark) if state.mark else None
                for text, role in drawing.box_row(node, box_row, state):
                    style = base + self._style(role)
                    segments.append(Segment(text, style + highlight if highlight else style))
        strip = Strip(segments, drawing.width).crop(scroll_x, scroll_x + width)
        return strip.extend_cell_length(width, base)

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return self.virtual_size.width
