"""Follow mode's wire: the protocol, and a teacher's publisher with followers in one process."""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path

import pytest

from mgtui.classroom import MAX_LINE, Follower, Lines, ProtocolError, Publisher, decode, encode, file_sha256


def wait(condition, timeout: float = 10.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting {what}"
        time.sleep(0.01)


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    path = tmp_path / "lesson.py"
    path.write_text("def graph():\n    ...\n")
    return path


@pytest.fixture
def teacher(tmp_path: Path, scenario: Path):
    publisher = Publisher(tmp_path / "class.sock", scenario)
    publisher.start()
    yield publisher
    publisher.close()


class Student:
    """A follower that keeps what it hears."""

    def __init__(self, path: Path, sha256: str) -> None:
        self.states: list[dict] = []
        self.connected: list[bool] = []
        self.follower = Follower(path, sha256, self.states.append, self.connected.append)
        self.follower.start()


# --- the protocol -------------------------------------------------------------------------------


def test_a_state_goes_over_the_wire_and_comes_back():
    line = encode("state", view="graph", position=7, selected=None, picture=False)
    assert line.endswith(b"\n") and b"\n" not in line[:-1]
    assert decode(line[:-1]) == {
        "mgtui": 1,
        "kind": "state",
        "view": "graph",
        "position": 7,
        "selected": None,
        "picture": False,
    }


@pytest.mark.parametrize(
    "line",
    [
        b"",
        b"not json",
        b'{"mgtui": 1, "kind": "state", "position": 7',  # truncated
        b'{"mgtui": 2, "kind": "state", "position": 7}',  # another version
        b'{"mgtui": 1, "kind": "run", "code": "import os"}',  # no such kind
        b'{"mgtui": 1, "kind": "state", "position": "7"}',  # wrong type
        b'{"mgtui": 1, "kind": "state", "position": true}',  # a bool is not a position
        b'{"mgtui": 1, "kind": "state", "exec": "rm -rf ~"}',  # a field the protocol does not have
        b'{"mgtui": 1, "kind": "state", "position": NaN}',
        b'{"mgtui": 1, "kind": "hello", "scenario": "x.py", "sha256": "abc"}',
        b"[1, 2, 3]",
        b"\xff\xfe",
        b'{"mgtui": 1, "kind": "state", "note": "' + b"x" * MAX_LINE + b'"}',
    ],
)
def test_malformed_truncated_and_oversized_lines_are_refused(line):
    with pytest.raises(ProtocolError):
        decode(line)


def test_an_oversized_line_is_dropped_whole_and_the_next_one_kept():
    lines = Lines()
    good = encode("state", position=3)
    assert lines.feed(b"x" * (MAX_LINE + 10)) == []
    assert lines.feed(b"yyy\n" + good[:10]) == []  # the end of the long line: dropped
    assert [decode(line) for line in lines.feed(good[10:])] == [decode(good[:-1])]


# --- teacher and followers ------------------------------------------------------------------------


def test_followers_get_the_hello_then_the_latest_state(teacher, scenario):
    teacher.publish(view="graph", position=1)
    student = Student(teacher.path, file_sha256(scenario))
    wait(lambda: student.states)
    assert student.connected == [True] and student.states[-1] == {"view": "graph", "position": 1}
    teacher.publish(view="graph", position=2)
    wait(lambda: student.states[-1]["position"] == 2)
    assert teacher.followers == 1
    student.follower.close()
    wait(lambda: teacher.followers == 0)


def test_a_follower_of_another_file_applies_nothing(teacher):
    teacher.publish(view="graph", position=5)
    student = Student(teacher.path, "0" * 64)
    time.sleep(0.3)
    assert student.states == [] and True not in student.connected
    student.follower.close()


def test_a_follower_that_talks_is_closed_and_cannot_change_the_teacher(teacher, scenario):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as rogue:
        rogue.connect(str(teacher.path))
        wait(lambda: teacher.followers == 1)
        rogue.sendall(encode("state", position=999))
        wait(lambda: teacher.followers == 0)
        received = b""
        rogue.settimeout(2)
        while chunk := rogue.recv(4096):
            received += chunk
    assert json.loads(received.splitlines()[0])["kind"] == "hello"


def test_a_follower_that_stops_reading_is_dropped_and_never_slows_the_teacher(teacher, scenario):
    teacher.patience = 0.5
    stalled = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stalled.connect(str(teacher.path))
    reader = Student(teacher.path, file_sha256(scenario))
    wait(lambda: teacher.followers == 2)
    note = "n" * 2000  # big states fill the stalled follower's socket fast
    started = time.perf_counter()
    for position in range(2000):
        teacher.publish(view="graph", position=position, note=note)
    publish_time = time.perf_counter() - started
    wait(lambda: reader.states and reader.states[-1]["position"] == 1999, what="for the reader")
    assert publish_time < 2.0  # 2000 publishes: never waiting for anyone
    wait(lambda: teacher.followers == 1, what=f"for the stalled one to go: {teacher.followers}")
    stalled.close()


def test_followers_reconnect_when_the_teacher_comes_back(tmp_path, scenario):
    path = tmp_path / "class.sock"
    first = Publisher(path, scenario)
    first.start()
    student = Student(path, file_sha256(scenario))
    wait(lambda: student.connected == [True])
    first.close()
    wait(lambda: student.connected[-1] is False)
    second = Publisher(path, scenario)
    second.start()
    second.publish(view="training", epoch=3)
    wait(lambda: student.states and student.states[-1] == {"view": "training", "epoch": 3})
    assert student.connected[-1] is True
    student.follower.close()
    second.close()


def test_a_stale_socket_is_replaced_and_a_live_one_refused(tmp_path, scenario):
    path = tmp_path / "class.sock"
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(path))
    stale.close()  # the file stays, nobody listens: a teacher that crashed
    live = Publisher(path, scenario)
    live.start()
    with pytest.raises(OSError, match="already sharing"):
        Publisher(path, scenario).start()
    live.close()
    assert not path.exists()
    (tmp_path / "file").write_text("mine")
    with pytest.raises(OSError, match="not a socket"):
        Publisher(tmp_path / "file", scenario).start()


def test_the_socket_is_open_to_the_group_only(teacher):
    mode = teacher.path.stat().st_mode & 0o777
    assert mode & 0o660 == 0o660 and mode & 0o007 == 0


def test_many_followers_each_get_every_latest_state(teacher, scenario):
    students = [Student(teacher.path, file_sha256(scenario)) for _ in range(20)]
    wait(lambda: teacher.followers == 20)
    for position in range(50):
        teacher.publish(view="graph", position=position)
    for student in students:
        wait(lambda student=student: student.states and student.states[-1]["position"] == 49)
    threads = threading.active_count()
    for student in students:
        student.follower.close()
    wait(lambda: teacher.followers == 0)
    assert threading.active_count() <= threads
