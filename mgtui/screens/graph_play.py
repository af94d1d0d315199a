"""Autoplay for the graph view: the pass steps itself, at a pace a teacher can talk over.

The default is a step every two seconds (the lecture's expression takes 14 s, not 2); `+` and `-`
double and halve it. While it plays, the key bar says Pause and the status bar the speed.
"""

from __future__ import annotations

from textual.binding import Binding
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer

from engine.stepping import Cursor

SPEEDS = (0.25, 0.5, 1, 2, 4, 8, 16, 32, 64)  # steps per second
DEFAULT_SPEED = 0.5  # a step every 2 s: time to say what it does


def speed_text(speed: float) -> str:
    return f"{speed:g} step/s" if speed <= 1 else f"{speed:g} steps/s"


class Autoplay(Screen):
    """The autoplay part of the graph view, mixed into `GraphScreen` (which gives it `cursor`, `say`
    and `refresh_status`)."""

    BINDINGS = [
        Binding("space", "play", "Play", id="step.play", priority=True, tooltip="Autoplay: step by itself"),
        Binding("space", "pause", "Pause", id="step.pause", priority=True, tooltip="Pause autoplay"),
        Binding(
            "plus,equals_sign",
            "faster",
            "Faster",
            show=False,
            key_display="+",
            id="play.faster",
            tooltip="Autoplay faster (×2)",
        ),
        Binding(
            "minus", "slower", "Slower", show=False, key_display="-", id="play.slower", tooltip="Autoplay slower (÷2)"
        ),
    ]

    playing: reactive[bool] = reactive(False, init=False)
    speed: reactive[float] = reactive(DEFAULT_SPEED, init=False)
    cursor: Cursor
    _timer: Timer | None = None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "play":
            return not self.playing  # False hides it: space shows as Pause while playing
        if action == "pause":
            return self.playing
        return super().check_action(action, parameters)

    def action_play(self) -> None:
        if self.cursor.at_end:
            self.cursor.start()
        self.playing = True

    def action_pause(self) -> None:
        self.playing = False

    def watch_playing(self, playing: bool) -> None:
        self._restart_timer()
        self.refresh_bindings()
        self.refresh_status()
        if playing:
            self.say(f"autoplay at {speed_text(self.speed)}: + faster, - slower, space pauses")
        else:
            self.say(f"autoplay paused at {speed_text(self.speed)} (space plays)")

    def watch_speed(self, speed: float) -> None:
        self._restart_timer()
        self.refresh_status()
        self.say(f"autoplay speed {speed_text(speed)}" + ("" if self.playing else " (space plays)"))

    def _restart_timer(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if self.playing:
            self._timer = self.set_interval(1 / self.speed, self._tick)

    def _tick(self) -> None:
        if not self.cursor.next() or self.cursor.at_end:
            self.playing = False

    def action_faster(self) -> None:
        self._set_speed(+1)

    def action_slower(self) -> None:
        self._set_speed(-1)

    def _set_speed(self, direction: int) -> None:
        index = min(range(len(SPEEDS)), key=lambda i: abs(SPEEDS[i] - self.speed)) + direction
        self.speed = SPEEDS[max(0, min(index, len(SPEEDS) - 1))]

    def playing_text(self) -> str:
        """For the status bar: ``▶ 0.5 step/s`` while playing."""
        return f"▶ {speed_text(self.speed)}" if self.playing else ""
