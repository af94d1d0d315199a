"""Follow mode's wire: a teacher's mgtui publishes what it shows on a Unix socket; students follow.

No widgets here and no app: the teacher's app calls `Publisher.publish(state)` whenever what it shows
changes, and a student's app gets each new state from a `Follower` callback. Everything between is
this module's job:

- **The protocol** is versioned JSON lines of bounded size. The first line a follower receives is
  ``hello`` (the scenario's path and SHA-256, so the student runs the very same file or refuses);
  then ``state`` lines, each a whole picture of where the teacher is (a follower that missed some
  is exactly as right as one that saw them all). A line that is malformed, truncated, oversized or
  of another version is dropped, never an exception. No code, pickle or path-to-run travels
  except the scenario path, which the student runs only after its hash matched.
- **One way.** The teacher reads nothing from followers but to notice them leave; a follower that
  sends data is closed.
- **Never blocking the teacher.** Sockets are non-blocking; each follower has at most one message
  waiting (the latest: positions coalesce); a follower that leaves a message unread for seconds
  (stopped with Ctrl+Z, hung) is dropped, and reconnects by itself when it is back.

Who may connect is decided by the socket file's permissions, like any file: the teacher creates it
readable and writable by its group (see the README's "Teaching a class").
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import selectors
import socket
import stat
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

VERSION = 1
MAX_LINE = 16 * 1024  # bytes: a state is a few hundred; anything longer is not ours
PATIENCE = 3.0  # seconds a follower may leave a message unread before the teacher lets it go
RECONNECT_EVERY = 0.5  # seconds between a follower's attempts to reach the teacher

# What a state may say, and of which type: anything else in a line makes it malformed.
STATE_FIELDS: dict[str, type | tuple[type, ...]] = {
    "view": str,  # "graph", "training", or another view's name
    "position": int,  # the graph view's cursor
    "selected": (int, type(None)),  # the node under the tree's cursor, if the teacher chose one
    "picture": bool,  # the graph view shows the lecture's picture
    "graph": str,  # which graph: "scenario", or an epoch's loss graph (see the app)
    "epoch": int,  # training: epochs run
    "training": dict,  # training: what a follower needs to reach the same numbers (see the app)
    "note": str,
    "nudge": (dict, type(None)),  # the graph view's nudge: its h and which leaves (None: all)
    "check": bool,  # the graph view's end-to-end check (C) is open over it
}


class ProtocolError(ValueError):
    """A line that is not a message of this protocol."""


def encode(kind: str, **fields: object) -> bytes:
    """One message as a line: ``{"mgtui": 1, "kind": ..., ...}\\n``."""
    line = json.dumps({"mgtui": VERSION, "kind": kind, **fields}, separators=(",", ":"), allow_nan=False)
    data = line.encode() + b"\n"
    if len(data) > MAX_LINE:
        raise ProtocolError(f"a {kind} message of {len(data)} bytes is over the {MAX_LINE}-byte limit")
    return data


def decode(line: bytes) -> dict:
    """A message from one line (without its newline), validated; `ProtocolError` if it is not one."""
    if len(line) > MAX_LINE:
        raise ProtocolError("line too long")
    try:
        message = json.loads(line.decode("utf-8"), parse_constant=_no_constants)
    except (UnicodeDecodeError, ValueError) as error:
        raise ProtocolError(f"not JSON: {error}") from None
    if not isinstance(message, dict) or message.get("mgtui") != VERSION:
        raise ProtocolError("not a message of this version")
    kind = message.get("kind")
    if kind == "hello":
        if not isinstance(message.get("scenario"), str) or not _is_sha256(message.get("sha256")):
            raise ProtocolError("a hello needs the scenario's path and SHA-256")
        return message
    if kind == "state":
        for name, value in message.items():
            if name in ("mgtui", "kind"):
                continue
            expected = STATE_FIELDS.get(name)
            if expected is None or not isinstance(value, expected) or isinstance(value, bool) is not (expected is bool):
                raise ProtocolError(f"state field {name!r} is not what the protocol allows")
        return message
    raise ProtocolError(f"unknown kind {kind!r}")


def _no_constants(name: str) -> float:
    raise ValueError(f"{name} is not allowed")


def _is_sha256(text: object) -> bool:
    return isinstance(text, str) and len(text) == 64 and all(c in "0123456789abcdef" for c in text)


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fingerprint(numbers: list[float]) -> str:
    """Who starts from these weights: a short hash of their exact bits (a scenario that draws
    random numbers without a seed starts elsewhere on every run, and cannot be followed bit for bit)."""
    return hashlib.sha256(struct.pack(f"<{len(numbers)}d", *numbers)).hexdigest()[:16]


class Lines:
    """Splits a byte stream into lines, dropping any line over `MAX_LINE` (and its remainder)."""

    def __init__(self) -> None:
        self._buffer = b""
        self._skipping = False  # inside an oversized line: drop up to its newline

    def feed(self, data: bytes) -> list[bytes]:
        self._buffer += data
        lines = []
        while True:
            end = self._buffer.find(b"\n")
            if end < 0:
                if len(self._buffer) > MAX_LINE:
                    self._buffer, self._skipping = b"", True
                return lines
            line, self._buffer = self._buffer[:end], self._buffer[end + 1 :]
            if self._skipping:
                self._skipping = False
                continue
            lines.append(line)


# --- the teacher's side -------------------------------------------------------------------------


@dataclass
class _Student:
    sock: socket.socket
    sending: bytes = b""  # a message being written, part of it maybe already sent
    latest: bytes = b""  # the newest message, waiting for `sending` to drain
    stuck_since: float | None = None  # when a write last found its socket full


@dataclass
class Publisher:
    """A Unix socket that every follower reads the teacher's state from.

    `publish` never blocks: it hands the state to a thread that owns every socket.
    """

    path: Path
    scenario: Path
    patience: float = PATIENCE
    _students: dict[int, _Student] = field(default_factory=dict, init=False)
    _latest: bytes = field(default=b"", init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    _stop: threading.Event = field(default_factory=threading.Event, init=False)

    def start(self) -> None:
        """Listen on `path` (a stale socket file left by a teacher that crashed is replaced)."""
        self._hello = encode("hello", scenario=str(self.scenario.resolve()), sha256=file_sha256(self.scenario))
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        _claim(self.path)
        old_mask = os.umask(0o007)  # the socket file: rw for the teacher and the group, as README says
        try:
            self._server.bind(str(self.path))
        finally:
            os.umask(old_mask)
        self._server.listen(64)
        self._server.setblocking(False)
        self._wake_read, self._wake_write = socket.socketpair()
        self._wake_read.setblocking(False)
        self._wake_write.setblocking(False)
        self._thread = threading.Thread(target=self._serve, name="mgtui-publisher", daemon=True)
        self._thread.start()

    @property
    def followers(self) -> int:
        with self._lock:
            return len(self._students)

    def publish(self, **state: object) -> None:
        """Send this state to every follower (the latest one wins if they are behind)."""
        message = encode("state", **state)
        with self._lock:
            self._latest = message
        self._wake()

    def close(self) -> None:
        self._stop.set()
        self._wake()
        self._thread.join(timeout=2)
        with contextlib.suppress(OSError):
            self._server.close()
        for student in list(self._students.values()):
            with contextlib.suppress(OSError):
                student.sock.close()
        with contextlib.suppress(OSError):
            self.path.unlink()

    def _wake(self) -> None:
        with contextlib.suppress(BlockingIOError, OSError):
            self._wake_write.send(b"x")

    def _serve(self) -> None:
        selector = selectors.DefaultSelector()
        selector.register(self._server, selectors.EVENT_READ, "accept")
        selector.register(self._wake_read, selectors.EVENT_READ, "wake")
        try:
            while not self._stop.is_set():
                for key, events in selector.select(timeout=min(1.0, self.patience / 2)):
                    if key.data == "accept":
                        self._accept(selector)
                    elif key.data == "wake":
                        with contextlib.suppress(BlockingIOError, OSError):
                            self._wake_read.recv(4096)
                        self._hand_out_latest(selector)
                    else:
                        self._service(selector, key.data, events)
                self._let_go_of_the_stuck(selector)
        finally:
            selector.close()

    def _let_go_of_the_stuck(self, selector: selectors.BaseSelector) -> None:
        now = time.monotonic()
        for student in list(self._students.values()):
            if student.stuck_since is not None and now - student.stuck_since > self.patience:
                self._drop(selector, student)

    def _accept(self, selector: selectors.BaseSelector) -> None:
        while True:
            try:
                sock, _ = self._server.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            sock.setblocking(False)
            student = _Student(sock, sending=self._hello)
            with self._lock:
                student.latest = self._latest
                self._students[sock.fileno()] = student
            selector.register(sock, selectors.EVENT_READ | selectors.EVENT_WRITE, sock.fileno())

    def _hand_out_latest(self, selector: selectors.BaseSelector) -> None:
        with self._lock:
            latest = self._latest
            students = list(self._students.values())
        for student in students:
            student.latest = latest  # coalesce: whatever it had not started sending is replaced
            self._try_send(selector, student)

    def _service(self, selector: selectors.BaseSelector, fileno: int, events: int) -> None:
        student = self._students.get(fileno)
        if student is None:
            return
        if events & selectors.EVENT_READ:
            try:
                data = student.sock.recv(4096)
            except (BlockingIOError, InterruptedError):
                data = None
            except OSError:
                data = b""
            if data is not None:  # it left (b""), or it talks: followers have nothing to say
                self._drop(selector, student)
                return
        if events & selectors.EVENT_WRITE:
            self._try_send(selector, student)

    def _try_send(self, selector: selectors.BaseSelector, student: _Student) -> None:
        if not student.sending and student.latest:
            student.sending, student.latest = student.latest, b""
        while student.sending:
            try:
                sent = student.sock.send(student.sending)
            except (BlockingIOError, InterruptedError):
                if student.stuck_since is None:
                    student.stuck_since = time.monotonic()
                break
            except OSError:
                self._drop(selector, student)
                return
            student.stuck_since = None
            student.sending = student.sending[sent:]
            if not student.sending and student.latest:
                student.sending, student.latest = student.latest, b""
        events = selectors.EVENT_READ | (selectors.EVENT_WRITE if student.sending else 0)
        with contextlib.suppress(KeyError, ValueError):
            selector.modify(student.sock, events, student.sock.fileno())

    def _drop(self, selector: selectors.BaseSelector, student: _Student) -> None:
        with contextlib.suppress(KeyError, ValueError):
            selector.unregister(student.sock)
        with self._lock:
            self._students.pop(student.sock.fileno(), None)
        with contextlib.suppress(OSError):
            student.sock.close()


def _claim(path: Path) -> None:
    """Make room for our socket at `path`: replace a stale socket, refuse anything else."""
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(mode):
        raise OSError(errno.EEXIST, f"{path} exists and is not a socket")
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(str(path))
    except OSError:
        path.unlink()  # nobody listens: a teacher that stopped without cleaning up
        return
    finally:
        probe.close()
    raise OSError(errno.EADDRINUSE, f"another mgtui is already sharing at {path}")


# --- the student's side -------------------------------------------------------------------------


def wait_for_hello(path: Path, timeout: float | None = None, waiting: Callable[[], None] | None = None) -> dict:
    """Connect to the teacher at `path` and return its hello (retrying until `timeout`)."""
    deadline = None if timeout is None else time.monotonic() + timeout
    told = False
    while True:
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(5)
                sock.connect(str(path))
                lines = Lines()
                while True:
                    data = sock.recv(4096)
                    if not data:
                        raise ConnectionError("the teacher closed the connection")
                    for line in lines.feed(data):
                        with contextlib.suppress(ProtocolError):
                            message = decode(line)
                            if message["kind"] == "hello":
                                return message
        except (OSError, ConnectionError):
            if deadline is not None and time.monotonic() > deadline:
                raise
            if waiting is not None and not told:
                waiting()
                told = True
            time.sleep(RECONNECT_EVERY)


class Follower:
    """Follows a teacher: calls `on_state(state)` for each state, `on_teacher(connected)` when the
    teacher comes or goes; reconnects by itself. Runs in a daemon thread until `close()`."""

    def __init__(
        self,
        path: Path,
        sha256: str,
        on_state: Callable[[dict], None],
        on_teacher: Callable[[bool], None],
    ) -> None:
        self.path, self.sha256 = path, sha256
        self.on_state, self.on_teacher = on_state, on_teacher
        self._stop = threading.Event()
        self._sock: socket.socket | None = None
        self._thread = threading.Thread(target=self._run, name="mgtui-follower", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        sock = self._sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self._thread.join(timeout=2)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._follow_once()
            except OSError:
                pass
            if self._stop.is_set():
                return
            self.on_teacher(False)
            self._stop.wait(RECONNECT_EVERY)

    def _follow_once(self) -> None:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            self._sock = sock
            sock.connect(str(self.path))
            lines = Lines()
            greeted = False
            while not self._stop.is_set():
                data = sock.recv(65536)
                if not data:
                    return
                for line in lines.feed(data):
                    try:
                        message = decode(line)
                    except ProtocolError:
                        continue  # a line we cannot trust: as if it never came
                    if message["kind"] == "hello":
                        if message["sha256"] != self.sha256:
                            return  # a teacher showing another file: not ours to follow
                        greeted = True
                        self.on_teacher(True)
                    elif greeted:
                        self.on_state({k: v for k, v in message.items() if k not in ("mgtui", "kind")})
