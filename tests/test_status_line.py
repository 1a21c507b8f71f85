"""The live state line of `listen`: drawn in place on a terminal, silent elsewhere."""

from __future__ import annotations

import io

from voiceshop.audio.listening import Level, ListenState, StateChanged
from voiceshop.cli.status_line import StatusLine, meter


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_meter_fills_with_the_level() -> None:
    assert meter(-80.0) == "." * 20
    assert meter(-30.0) == "#" * 10 + "." * 10
    assert meter(3.0) == "#" * 20


def test_states_redraw_one_line_in_place_and_levels_at_most_ten_times_a_second() -> None:
    out, clock = Terminal(), Clock()
    line = StatusLine(out, clock)
    line.update(StateChanged(ListenState.LISTENING))
    line.update(Level(-30.0))  # same instant: not redrawn
    clock.now = 0.2
    line.update(Level(-30.0))
    line.update(StateChanged(ListenState.THINKING))  # a state is always drawn
    text = out.getvalue()
    assert "\n" not in text
    assert text.count("\r") == 3
    assert text.endswith("[thinking ] " + "#" * 10 + "." * 10)


def test_clear_blanks_the_line_before_other_output() -> None:
    out = Terminal()
    line = StatusLine(out, Clock())
    line.clear()
    assert out.getvalue() == ""  # nothing drawn, nothing to clear
    line.update(StateChanged(ListenState.SPEAKING))
    line.clear()
    assert out.getvalue().endswith("\r\x1b[2K")


def test_nothing_is_written_when_not_a_terminal() -> None:
    out = io.StringIO()
    line = StatusLine(out, Clock())
    line.update(StateChanged(ListenState.HEARD))
    line.update(Level(-10.0))
    line.clear()
    assert out.getvalue() == ""
