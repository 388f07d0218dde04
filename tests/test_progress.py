"""The shared progress bar: silent when hidden, on stderr when shown, never on stdout."""

from __future__ import annotations

import pytest

from lstmsizer.progress import progress_bar


def test_a_hidden_bar_prints_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    with progress_bar("steps", 3, False) as bar:
        bar.advance("one")
        bar.set(3, note="done")
    assert capsys.readouterr() == ("", "")


def test_a_shown_bar_writes_only_to_stderr(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TTY_COMPATIBLE", "1")  # let Rich draw into the captured stderr
    monkeypatch.setenv("TTY_INTERACTIVE", "1")
    with progress_bar("steps", 2, True) as bar:
        bar.advance("one")
        bar.set(2, total=2, note="done")
    out = capsys.readouterr()
    assert out.out == "" and "steps" in out.err


def test_by_default_the_bar_shows_only_on_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    with progress_bar("steps", 1, None) as bar:  # pytest's stderr is not a terminal
        bar.advance()
    assert capsys.readouterr().err == ""
