"""ALSA's own messages go to the log, not to the terminal."""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

import pytest

from voiceshop.audio.alsa_log import route_alsa_messages_to_log


@pytest.mark.skipif(ctypes.util.find_library("asound") is None, reason="no libasound")
def test_an_alsa_error_is_logged_and_not_printed(
    capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    assert route_alsa_messages_to_log()
    library = ctypes.CDLL(ctypes.util.find_library("asound"))
    pcm = ctypes.c_void_p()
    with caplog.at_level(logging.DEBUG, logger="voiceshop.alsa"):
        failed = library.snd_pcm_open(ctypes.byref(pcm), b"voiceshop_no_such_pcm", 0, 0)
    assert failed < 0
    assert "ALSA lib" not in capfd.readouterr().err
    assert any("ALSA" in record.getMessage() for record in caplog.records)
