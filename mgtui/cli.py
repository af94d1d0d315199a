"""The ``mgtui`` command.

Everything that can fail because of the user's input (the file, its code, what it returns, the
graph it builds) is done before the terminal is taken over, so a problem is one line on stderr
and exit status 2, never a half-drawn screen. The scenario's code runs on a thread of its own
(`mgtui.loading`), so a slow one shows how long it has run and Ctrl+C cancels it at any time.

Exit statuses: 0 done; 1 training stopped or ``--check`` found a disagreement; 2 bad input (a
broken scenario, an unusable argument, no terminal for the app); 128 + N ended by signal N (130:
Ctrl+C while loading, 143: SIGTERM); 141 the reader of the output went away (``| head``).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import threading
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from mgtui import __version__
from mgtui.scenario import (
    ScenarioError,
    bundled_paths,
    check_readable,
    describe_exception,
    load,
    resolve,
    shadowed_note,
)

EXIT_FAILED = 1  # training stopped, a check disagreed, the scenario's code ended the app
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 128 + 13  # as a command killed by SIGPIPE reports it
PRINT_LINES = 5000  # rows of a tree --print writes unless told: a 66k-node graph prints in a second

T = TypeVar("T")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="mgtui",
        description="Step through backpropagation in the terminal, one node at a time.",
        epilog="A scenario with a / in it or ending in .py is a file (./expression runs a file of that name); "
        "any other is a bundled scenario. Without one, mgtui opens a picker of the bundled ones. "
        "Keys: press ? in the app.",
    )
    parser.add_argument(
        "scenario", nargs="?", help="a scenario file (a path, or NAME.py), or the name of a bundled one (see --list)"
    )
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
    parser.add_argument(
        "--lines",
        type=int,
        default=PRINT_LINES,
        metavar="N",
        help=f"with --print: at most N rows of the tree, then say how many more (default {PRINT_LINES}; 0: all)",
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
        if args.lines < 0:
            raise ScenarioError(f"--lines {args.lines}: give a number of rows, or 0 for all of them")
        app_wanted = not (args.print_only or args.check)
        if args.follow is not None:
            return follow(args)
        if args.scenario is None:
            if args.share is not None:
                raise ScenarioError("--share needs a scenario: mgtui NAME --share SOCKET")
            if args.print_only or args.train or args.check or args.steps is not None:
                raise ScenarioError("no scenario given: name a file or a bundled scenario (see mgtui --list)")
            refuse_without_terminal()
            return run_app(None, args)
        if args.picture and args.train:
            raise ScenarioError("--picture applies to the graph, not to --train")
        path = resolve(args.scenario)
        note = shadowed_note(args.scenario)
        if note:
            print(f"mgtui: note: {note}", file=sys.stderr)
        if app_wanted:
            check_readable(path)  # a missing file is the first thing to say
            refuse_without_terminal()  # and before running any of the scenario's code, this
        if args.check:
            return check(path, args)
        if args.print_only:
            return print_headless(path, args)
        return run_app(open_session(path, args), args)
    except ScenarioError as error:
        print(f"mgtui: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt as interrupt:
        from engine.text import printable

        print(printable(f"mgtui: interrupted {interrupt}".rstrip()), file=sys.stderr)
        return EXIT_INTERRUPTED


def refuse_without_terminal() -> None:
    from mgtui.terminal import full_screen_problem

    problem = full_screen_problem()
    if problem:
        raise ScenarioError(problem)


def off_the_main_thread(path: Path, job: Callable[..., T], show_progress: bool = True) -> T:
    """`job(progress)` with the scenario's code on a thread of its own (see `mgtui.loading`): an
    exit or a ``KeyboardInterrupt`` of the code's own is a broken scenario, Ctrl+C cancels."""
    from mgtui.loading import Progress, run_users_code

    progress = Progress(path.name) if show_progress else None

    def users_fault(error: BaseException) -> ScenarioError:
        return ScenarioError(describe_exception(error, path, "in the scenario's code"))

    try:
        return run_users_code(lambda: job(progress), progress, users_fault)
    except KeyboardInterrupt:  # the user's Ctrl+C: say what it interrupted
        doing = f" while {progress.stage}" if progress is not None else ""
        raise KeyboardInterrupt(f"{path.name}{doing}") from None


def open_session(path: Path, args: argparse.Namespace):
    """Load the scenario and record its pass (see `off_the_main_thread`)."""
    from mgtui.session import Session

    def job(progress) -> Session:
        scenario = load(path)
        return Session.open(scenario, need_training=args.train, position=args.steps, on_stage=progress.set_stage)

    return off_the_main_thread(path, job)


def list_bundled() -> int:
    for path in bundled_paths():
        try:
            title = load(path).title
        except ScenarioError as error:
            title = f"(broken: {error})"
        print(f"{path.stem:<12} {title}")
    return 0


def print_headless(path: Path, args: argparse.Namespace) -> int:
    from mgtui.headless import output_console, print_graph, print_picture, print_trace, print_training

    if args.train and args.steps is not None:
        raise ScenarioError("--steps applies to the graph, not to --train")
    if args.trace and (args.train or args.picture):
        raise ScenarioError("--trace prints the steps of the graph's pass: it takes no --train or --picture")
    session = open_session(path, args)
    console = output_console()
    if args.trace:
        print_trace(session.cursor(args.steps), session.scenario.title, console, args.lines)
        return 0
    if args.train:  # training runs the scenario's loss every epoch: off the main thread too
        return off_the_main_thread(
            path, lambda _: print_training(session.trainer(), console, session.scenario.path), False
        )
    cursor = session.cursor(args.steps)
    if args.picture:
        print_picture(cursor, session.scenario.title, console, args.lines)
    else:
        print_graph(cursor, session.scenario.title, console, args.lines)
    return 0


def check(path: Path, args: argparse.Namespace) -> int:
    from mgtui.headless import output_console, print_check

    if args.train or args.steps is not None:
        raise ScenarioError("--check checks the whole pass of graph(): it takes no --train or --steps")
    session = open_session(path, args)
    console = output_console()
    return off_the_main_thread(path, lambda _: print_check(session.timeline, session.fresh_output, console), False)


def run_app(session, args: argparse.Namespace, following=None) -> int:
    """The full-screen app, on an event loop of our own: `asyncio.run` would wait, after the app,
    for every worker thread to finish (a loss looping forever in one would keep mgtui alive).
    `following`: a student's link to the teacher (`--follow`), whose app goes where the teacher's is."""
    import asyncio

    from mgtui.app import MgtuiApp
    from mgtui.terminal import TerminalGuard, keyboard_owned_by_app

    share = _publisher(args.share, session.scenario) if args.share is not None and session is not None else None
    app = MgtuiApp(
        session,
        start_in_training=args.train,
        autostart_training=not args.paused and following is None,  # a student's run moves with the teacher's
        watch=not args.no_watch and share is None and following is None,  # a class follows one version of the file
        start_in_picture=args.picture,
        pace=args.pace,
        share=share,
        following=following,
    )
    loop = asyncio.new_event_loop()

    def exit_app(status: int) -> None:
        app.exit(return_code=status)

    streams = sys.stdout, sys.stderr
    try:
        with TerminalGuard(exit_app, loop) as guard, keyboard_owned_by_app():
            try:
                app.run(loop=loop)
            except (KeyboardInterrupt, SystemExit) as error:
                # Only the scenario's code raises these here: Textual's thread workers catch
                # Exception only, so sys.exit() in a loss stops the event loop dead, the app
                # unwound by nothing: the terminal still raw, print still captured by Textual.
                # (Ctrl+C is a key, and a signal is the guard's.)
                guard.give_back()
                sys.stdout, sys.stderr = streams
                # The abandoned loop still holds callbacks that will never run: nothing to warn about.
                warnings.filterwarnings("ignore", "coroutine .* was never awaited", RuntimeWarning)
                path = session.scenario.path if session is not None else Path("mgtui")
                print(f"mgtui: {describe_exception(error, path, 'while the app ran')}", file=sys.stderr)
                return EXIT_FAILED
    finally:
        loop.close()  # does not wait for worker threads still running the scenario's code
    return app.return_code or guard.status or 0


def run() -> None:
    """The installed command: `main`, then an exit that waits for nothing.

    A thread the scenario started, or a worker still running its code (a loss that loops forever),
    would keep the process alive after the app ends; they are abandoned, as the user asked to quit.
    A reader that went away (``mgtui --list | head -2``) ends the output quietly.
    """
    try:
        status = main()
        sys.stdout.flush()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so the interpreter's own flush at exit fails no more
        status = EXIT_BROKEN_PIPE
    main_thread = threading.main_thread()
    if any(thread is not main_thread and thread.is_alive() for thread in threading.enumerate()):
        from mgtui.terminal import exit_now  # imported only then: --list and --print end sooner

        exit_now(status)
    sys.exit(status)


def _publisher(socket: Path, scenario):
    from mgtui.classroom import Publisher

    publisher = Publisher(socket, scenario.path)
    try:
        publisher.start()
    except OSError as error:
        raise ScenarioError(f"{socket}: cannot share there: {error.strerror or error}") from None
    return publisher


def follow(args: argparse.Namespace) -> int:
    """``--follow SOCKET``: wait for the teacher, check our copy of their scenario, follow them."""
    from mgtui.classroom import file_sha256, wait_for_hello
    from mgtui.follow import Following

    if args.scenario is not None or args.share is not None or args.print_only or args.check or args.train:
        raise ScenarioError("--follow SOCKET takes no scenario and no other mode: the teacher's scenario is used")
    refuse_without_terminal()
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
    return run_app(open_session(path, args), args, following=Following(socket, ours))


if __name__ == "__main__":
    run()
