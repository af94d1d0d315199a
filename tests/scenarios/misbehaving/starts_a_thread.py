"""graph() starts a thread of its own that never ends (and is not a daemon)."""

import threading
import time

from engine import Value


def _forever():
    while True:
        time.sleep(0.05)


def graph():
    threading.Thread(target=_forever, name="learner-thread").start()
    a = Value(2.0, label="a")
    return a * a
