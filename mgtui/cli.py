"""The ``mgtui`` command.

Everything that can fail because of the user's input (the file, its code, what it returns, the
graph it builds) is done before the terminal is taken over, so a problem is one line on stderr
and exit status 2, never a half-drawn screen.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from pathlib import Path

from mgtui import __version__
from mgtui.scenario import Scenario, ScenarioError, bundled_paths, load, resolve

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="mgtui",
        description="Step through backpropagation in the terminal, one node at a time.",
        epilog="Without a scenario, mgtui opens a picker of the bundled ones. Keys: press ? in the app.",
    )
    parser.add_argument("scenario", nargs="?", help="a scenario file, or the name of a bundled one (see --list)")
    parser.add_argument("--version", action="version", version=f"mgtui {__version__}")
    parser.add_argument("--list", action="store_true", help="list the bundled scenarios and exit")
    parser.add_argument(
        "--print", action="store_true", dest="print_only", help="print instead of opening the app, then exit"
    )
    parser.add_argument("--steps", type=int, metavar="K", help="timeline position to show (default: the end)")
    parser.add_argument(
        "--trace",
        action="store_true",
        help="with --print: every step's explanation in order (up to --steps K), as plain text for a handout",
    )
    parser.add_argument("--train", action="store_true", help="the training view (with --print: one line per epoch)")
    parser.add_argument("--paused", action="store_true", help="open the training view paused (space starts it)")
    parser.add_argument(
        "--pace",
        type=_pace,
        metavar="N|max",
        help="epochs per second in the training view, or max (default: a short run takes a few seconds)",
    )
    parser.add_argument(
        "--share",
        metavar="SOCKET",
        type=Path,
        help="teach: publish what this mgtui shows on a Unix socket that students follow (see README)",
    )
    parser.add_argument(
        "--follow",
        metavar="SOCKET",
        type=Path,
        help="follow the teacher sharing at SOCKET: their scenario, view and step, on your own terminal",
    )
    parser.add_argument(
        "--no-watch",
        action="store_true",
        help="do not reload when the scenario (or a module next to it that it imports) is saved",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="check every step of the pass against the chain rule and the final grads against the engine, "
        "the numerical derivative, PyTorch (if installed) and the graph's own backward(); "
        "exit 0 if all agree, 1 if not",
    )
    parser.add_argument(
        "--picture", action="store_true", help="the graph as the lecture draws it (with --print: as plain text)"
    )
    return parser.parse_args(argv)


def _pace(text: str) -> float:
    if text == "max":
        return math.inf
    try:
        pace = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of epochs per second (or max)") from None
    if not pace > 0:
        raise argparse.ArgumentTypeError(f"the pace must be more than 0 epochs per second, got {text}")
    return pace


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if args.list:
            return list_bundled()
        if args.trace and not args.print_only:
            raise ScenarioError("--trace goes with --print: mgtui NAME --print --trace")
        if args.follow is not None:
            return follow(args)
        if args.scenario is None:
            if args.share is not None:
                raise ScenarioError("--share needs a scenario: mgtui NAME --share SOCKET")
            if args.print_only or args.train or args.check or args.steps is not None:
                raise ScenarioError("no scenario given: name a file or a bundled scenario (see mgtui --list)")
            return run_app(None, args)
        if args.picture and args.train:
            raise ScenarioError("--picture applies to the graph, not to --train")
        scenario = load(resolve(args.scenario))
        if args.check:
            return check(scenario, args)
        if args.print_only:
            return print_headless(scenario, args)
        return run_app(scenario, args)
    except ScenarioError as error:
        print(f"mgtui: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("mgtui: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def list_bundled() -> int:
    for path in bundled_paths():
        try:
            title = load(path).title
        except ScenarioError as error:
            title = f"(broken: {error})"
        print(f"{path.stem:<12} {title}")
    return 0


def print_headless(scenario: Scenario, args: argparse.Namespace) -> int:
    from rich.console import Console

    from mgtui.headless import print_graph, print_picture, print_trace, print_training
    from mgtui.session import Session

    session = Session.open(scenario, need_training=args.train, position=args.steps)
    console = Console(highlight=False)
    if args.trace:
        if args.train or args.picture:
            raise ScenarioError("--trace prints the steps of the graph's pass: it takes no --train or --picture")
        print_trace(session.cursor(args.steps), scenario.title, console)
        return 0
    if args.train:
        if args.steps is not None:
            raise ScenarioError("--steps applies to the graph, not to --train")
        return print_training(session.trainer(), console, scenario.path)
    cursor = session.cursor(args.steps)
    (print_picture if args.picture else print_graph)(cursor, scenario.title, console)
    return 0


def check(scenario: Scenario, args: argparse.Namespace) -> int:
    from rich.console import Console

    from mgtui.headless import print_check
    from mgtui.session import Session

    if args.train or args.steps is not None:
        raise ScenarioError("--check checks the whole pass of graph(): it takes no --train or --steps")
    session = Session.open(scenario)
    return print_check(session.timeline, session.fresh_output, Console(highlight=False))


def run_app(scenario: Scenario | None, args: argparse.Namespace) -> int:
    from mgtui.session import Session

    session = Session.open(scenario, need_training=args.train, position=args.steps) if scenario else None
    from mgtui.app import MgtuiApp

    share = _publisher(args.share, scenario) if args.share is not None and scenario is not None else None
    app = MgtuiApp(
        session,
        start_in_training=args.train,
        autostart_training=not args.paused,
        watch=not args.no_watch and share is None,  # a class follows one version of the file
        start_in_picture=args.picture,
        pace=args.pace,
        share=share,
    )
    app.run()
    return app.return_code or 0


def _publisher(socket: Path, scenario: Scenario):
    from mgtui.classroom import Publisher

    publisher = Publisher(socket, scenario.path)
    try:
        publisher.start()
    except OSError as error:
        raise ScenarioError(f"{socket}: cannot share there: {error.strerror or error}") from None
    return publisher


def follow(args: argparse.Namespace) -> int:
    """``--follow SOCKET``: wait for the teacher, check our copy of their scenario, follow them."""
    from mgtui.app import MgtuiApp
    from mgtui.classroom import file_sha256, wait_for_hello
    from mgtui.follow import Following
    from mgtui.session import Session

    if args.scenario is not None or args.share is not None or args.print_only or args.check or args.train:
        raise ScenarioError("--follow SOCKET takes no scenario and no other mode: the teacher's scenario is used")
    socket = args.follow

    def waiting() -> None:
        print(f"mgtui: waiting for the teacher at {socket} (ctrl+c stops)", file=sys.stderr, flush=True)

    hello = wait_for_hello(socket, waiting=waiting)
    path = Path(hello["scenario"])
    try:
        ours = file_sha256(path)
    except OSError as error:
        raise ScenarioError(f"{path}: the teacher's scenario cannot be read here: {error.strerror or error}") from None
    if ours != hello["sha256"]:
        raise ScenarioError(
            f"{path}: your copy differs from the teacher's (SHA-256 {ours[:12]}… here, {hello['sha256'][:12]}… "
            "there): ask the teacher which file to use"
        )
    session = Session.open(load(path))
    app = MgtuiApp(session, autostart_training=False, following=Following(socket, ours))
    app.run()
    return app.return_code or 0


if __name__ == "__main__":
    sys.exit(main())
