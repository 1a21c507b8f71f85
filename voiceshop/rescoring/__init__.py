"""Rescoring and second readings: where a transcript may be misheard, as the store sees it,
and how the recognizer lets the audio decide."""
