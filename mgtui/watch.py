"""Watching a scenario's sources for reload on save: the file and the modules it imports from its folder.

No widgets here: the app runs `saves` in a worker and decides what a save means. watchfiles (the
Rust `notify` crate) is used rather than polling: it sees an editor's atomic save (write a temp
file, rename it over the old one), coalesces the burst of events one save makes, and stops within
a step of being asked to.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

DEBOUNCE_MS = 150  # events closer together than this are one save
STEP_MS = 50  # how often the watcher looks at the stop event


def saves(folder: Path, sources: Callable[[], Iterable[Path]], stop: threading.Event) -> Iterator[set[Path]]:
    """Yield the set of source files changed by each save, until `stop` is set.

    `sources` is asked on every event, so a reload that imports a new neighbour is watched at once.
    """
    from watchfiles import watch  # imported when watching starts, not at start-up

    def is_source(_change: object, path: str) -> bool:
        return Path(path).resolve() in {p.resolve() for p in sources()}

    for changes in watch(
        folder,
        watch_filter=is_source,
        debounce=DEBOUNCE_MS,
        step=STEP_MS,
        stop_event=stop,
        recursive=False,
        raise_interrupt=False,
    ):
        yield {Path(path) for _, path in changes}
