"""The app's screens."""

from textual.screen import Screen


def forget_removed_widgets(screen: Screen) -> None:
    """After a recompose: Textual 8.2.8's screen keeps the widgets its query_one() found in a cache
    (up to 1024) even once they are removed, and with them the old graph. Measured: each reload of
    a 10-node scenario kept its 10 Values alive until this was cleared."""
    screen._query_one_cache.clear()
