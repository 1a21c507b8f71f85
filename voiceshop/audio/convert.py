"""Convert PCM of any common layout to the engine format: 16 kHz, 16-bit, mono.

Integer PCM of 8, 16, 24 or 32 bits is accepted (8-bit is unsigned, as in WAV files; wider
samples are signed little-endian). Channels are averaged, then soxr resamples. `to_engine_format`
converts a whole recording at once; `Resampler` converts a stream chunk by chunk and keeps the
filter state between chunks, so a chunked stream comes out the same as the one-shot conversion.
"""

from __future__ import annotations

import numpy as np
import soxr

from voiceshop.audio.types import ENGINE_FORMAT, AudioFormat, Chunk

RESAMPLE_QUALITY = "HQ"
"""soxr quality preset: "HQ" is transparent for speech and cheap enough for a live microphone."""

_SUPPORTED_WIDTHS = (1, 2, 3, 4)


def to_engine_format(chunk: Chunk) -> Chunk:
    """The whole recording in `chunk` as 16 kHz mono int16 (returned unchanged if it already is)."""
    if chunk.fmt == ENGINE_FORMAT:
        return chunk
    _check_width(chunk.fmt)
    if len(chunk.pcm) % _frame_bytes(chunk.fmt):
        raise ValueError(
            f"{len(chunk.pcm)} bytes of audio do not hold whole frames of "
            f"{_frame_bytes(chunk.fmt)} bytes ({chunk.fmt}); cut the audio at a frame boundary"
        )
    mono = _downmix(pcm_to_float(chunk.pcm, chunk.fmt))
    if chunk.fmt.rate != ENGINE_FORMAT.rate:
        mono = soxr.resample(mono, chunk.fmt.rate, ENGINE_FORMAT.rate, quality=RESAMPLE_QUALITY)
    return Chunk(float_to_pcm16(mono))


def require_engine_format(chunk: Chunk) -> None:
    """Raise ValueError unless `chunk` is 16 kHz mono int16, the only format engines accept."""
    if chunk.fmt != ENGINE_FORMAT:
        raise ValueError(
            f"recognizers take {ENGINE_FORMAT} audio but got {chunk.fmt}; convert it first "
            "with voiceshop.audio.convert.Resampler (streams) or to_engine_format (whole files)"
        )


class Resampler:
    """Streaming conversion from one source format to the engine format.

    Feed every chunk of the stream to `convert` in order, then call `flush` once at the end for
    the few milliseconds the filter holds back. Chunks may end mid-frame; the remainder is kept
    for the next chunk.
    """

    def __init__(self, source: AudioFormat, quality: str = RESAMPLE_QUALITY) -> None:
        _check_width(source)
        self.source = source
        self._frame_bytes = _frame_bytes(source)
        self._leftover = b""
        self._stream = (
            None
            if source.rate == ENGINE_FORMAT.rate
            else soxr.ResampleStream(source.rate, ENGINE_FORMAT.rate, 1, "float32", quality)
        )

    def convert(self, chunk: Chunk) -> Chunk:
        """The engine-format audio that `chunk` completes (may be a little shorter or empty)."""
        if chunk.fmt != self.source:
            raise ValueError(
                f"this Resampler converts {self.source} audio but got {chunk.fmt}; "
                "make a new Resampler when the source format changes"
            )
        pcm = self._leftover + chunk.pcm
        whole = len(pcm) - len(pcm) % self._frame_bytes
        self._leftover = pcm[whole:]
        return self._resample(_downmix(pcm_to_float(pcm[:whole], self.source)), last=False)

    def flush(self) -> Chunk:
        """End of stream: the audio still inside the filter. The Resampler is then spent."""
        self._leftover = b""
        return self._resample(np.zeros(0, np.float32), last=True)

    def _resample(self, mono: np.ndarray, *, last: bool) -> Chunk:
        if self._stream is not None:
            mono = self._stream.resample_chunk(mono, last=last)
        return Chunk(float_to_pcm16(mono))


def pcm_to_float(pcm: bytes, fmt: AudioFormat) -> np.ndarray:
    """Samples as float32 in [-1, 1), shaped (frames, channels)."""
    if fmt.width == 1:
        samples = (np.frombuffer(pcm, np.uint8).astype(np.float32) - 128.0) / 128.0
    elif fmt.width == 3:
        padded = np.zeros((len(pcm) // 3, 4), np.uint8)
        padded[:, 1:] = np.frombuffer(pcm, np.uint8).reshape(-1, 3)
        samples = padded.view("<i4").ravel().astype(np.float32) / 2.0**31
    else:
        dtype = "<i2" if fmt.width == 2 else "<i4"
        samples = np.frombuffer(pcm, dtype).astype(np.float32) / 2.0 ** (8 * fmt.width - 1)
    return samples.reshape(-1, fmt.channels)


def float_to_pcm16(samples: np.ndarray) -> bytes:
    """Float samples in [-1, 1) as int16 little-endian bytes, clipped at full scale."""
    scaled = np.clip(np.round(samples * 32768.0), -32768, 32767)
    return scaled.astype("<i2").tobytes()


def _downmix(samples: np.ndarray) -> np.ndarray:
    return samples.mean(axis=1, dtype=np.float32) if samples.shape[1] > 1 else samples[:, 0]


def _frame_bytes(fmt: AudioFormat) -> int:
    return fmt.width * fmt.channels


def _check_width(fmt: AudioFormat) -> None:
    if fmt.width not in _SUPPORTED_WIDTHS or fmt.channels < 1 or fmt.rate < 1:
        raise ValueError(
            f"unsupported PCM layout {fmt}: expected 1, 2, 3 or 4 bytes per sample, "
            "at least one channel and a positive rate"
        )
