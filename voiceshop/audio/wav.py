"""Read WAV files into engine-format audio: the one path from a file to a recognizer.

Integer PCM (8/16/24/32-bit) and IEEE-float (32/64-bit) WAVs of any rate and channel count are
read, including WAVE_FORMAT_EXTENSIBLE headers, which Python 3.11's `wave` module rejects. A
file that is missing, not a WAV, truncated, empty or silent raises AudioInputError naming it, and
so, before anything is decoded, does one with an implausible rate or channel count, one larger
than MAX_FILE_BYTES and one longer than the caller's `max_seconds`.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voiceshop.audio.convert import Resampler, pcm_to_float, to_engine_format
from voiceshop.audio.types import ENGINE_FORMAT, AudioFormat, Chunk
from voiceshop.errors import AudioInputError

SILENCE_PEAK_DBFS = -60.0
"""A file whose loudest sample stays below this level (dB relative to full scale) is silent."""

_PCM = 0x0001
_IEEE_FLOAT = 0x0003
_EXTENSIBLE = 0xFFFE
_UNKNOWN_SIZES = (0, 0xFFFFFFFF)
"""data-chunk sizes that streaming writers leave in the header: read to the end of the file."""
MIN_RATE = 8_000
MAX_RATE = 192_000
"""Sample rates (Hz) outside these are no recording of speech; resampling them could take hours."""
MAX_CHANNELS = 32
MAX_FILE_BYTES = 512 * 2**20
"""Larger files are refused unread: minutes of studio-rate audio, no spoken request."""
MAX_UTTERANCE_SECONDS = 30.0
"""The longest file `understand` and `replay` take as one spoken turn."""
_CONVERT_HINT = "convert it with: sox IN -r 16000 -c 1 -b 16 OUT.wav"


@dataclass(frozen=True)
class _Encoding:
    fmt: AudioFormat
    is_float: bool


def read_wav(path: Path | str, max_seconds: float | None = None) -> Chunk:
    """The whole file as one 16 kHz mono int16 Chunk; longer than `max_seconds` is refused."""
    return to_engine_format(_read_pcm(Path(path), max_seconds))


def wav_chunks(
    path: Path | str, seconds_per_chunk: float = 0.1, max_seconds: float | None = None
) -> Iterator[Chunk]:
    """The file as a stream of 16 kHz mono int16 Chunks, converted as a microphone's would be.

    The file is read and checked before this returns, so a bad file raises here, not later;
    longer than `max_seconds` is refused.
    """
    if seconds_per_chunk <= 0:
        raise ValueError(f"seconds_per_chunk must be positive, got {seconds_per_chunk}")
    source = _read_pcm(Path(path), max_seconds)
    return _stream(source, seconds_per_chunk)


def _stream(source: Chunk, seconds_per_chunk: float) -> Iterator[Chunk]:
    resampler = Resampler(source.fmt)
    in_step = _chunk_bytes(source.fmt, seconds_per_chunk)
    out_step = _chunk_bytes(ENGINE_FORMAT, seconds_per_chunk)
    pending = bytearray()
    for start in range(0, len(source.pcm), in_step):
        pending += resampler.convert(Chunk(source.pcm[start : start + in_step], source.fmt)).pcm
        while len(pending) >= out_step:
            yield Chunk(bytes(pending[:out_step]))
            del pending[:out_step]
    pending += resampler.flush().pcm
    for start in range(0, len(pending), out_step):
        yield Chunk(bytes(pending[start : start + out_step]))


def _chunk_bytes(fmt: AudioFormat, seconds: float) -> int:
    frame_bytes = fmt.width * fmt.channels
    return max(1, round(seconds * fmt.rate)) * frame_bytes


def _read_pcm(path: Path, max_seconds: float | None) -> Chunk:
    """The file's audio as integer PCM in its own rate and channel layout, after every check."""
    encoding, data = _parse(path, _read_bytes(path))
    frame_bytes = encoding.fmt.width * encoding.fmt.channels
    data = data[: len(data) - len(data) % frame_bytes]
    if not data:
        raise AudioInputError(f"{path} holds no audio (0 samples)")
    seconds = len(data) / frame_bytes / encoding.fmt.rate
    if max_seconds is not None and seconds > max_seconds:
        raise AudioInputError(
            f"{path} is {seconds:.0f} s long, more than the {max_seconds:.0f} s one request may "
            "take; cut it into shorter recordings"
        )
    chunk = _float_to_int32(data, encoding) if encoding.is_float else Chunk(data, encoding.fmt)
    _check_not_silent(path, chunk)
    return chunk


def _read_bytes(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise AudioInputError(
                f"{path} is too large ({size / 2**20:,.0f} MB, the most is "
                f"{MAX_FILE_BYTES // 2**20} MB); {_CONVERT_HINT} and cut it shorter"
            )
        return path.read_bytes()
    except FileNotFoundError:
        raise AudioInputError(f"cannot read {path}: the file does not exist") from None
    except OSError as err:
        raise AudioInputError(f"cannot read {path}: {err.strerror}") from err


def _parse(path: Path, blob: bytes) -> tuple[_Encoding, bytes]:
    """The encoding from the fmt chunk and the bytes of the data chunk."""
    if len(blob) < 12 or blob[:4] != b"RIFF" or blob[8:12] != b"WAVE":
        raise AudioInputError(f"{path} is not a WAV file (no RIFF/WAVE header); {_CONVERT_HINT}")
    encoding: _Encoding | None = None
    offset = 12
    while offset + 8 <= len(blob):
        chunk_id, size = struct.unpack_from("<4sI", blob, offset)
        body_start = offset + 8
        if chunk_id == b"data":
            if encoding is None:
                raise AudioInputError(f"{path} is damaged: its audio comes before its format")
            return encoding, _data_body(path, blob, body_start, size)
        if body_start + size > len(blob):
            break
        if chunk_id == b"fmt ":
            encoding = _parse_fmt(path, blob[body_start : body_start + size])
        offset = body_start + size + size % 2
    raise AudioInputError(f"{path} is truncated or damaged: it has no audio data chunk")


def _data_body(path: Path, blob: bytes, start: int, size: int) -> bytes:
    present = len(blob) - start
    if size in _UNKNOWN_SIZES:
        return blob[start:]
    if present < size:
        raise AudioInputError(
            f"{path} is truncated: its header announces {size} bytes of audio but only "
            f"{present} are present; re-record or re-export the file"
        )
    return blob[start : start + size]


def _parse_fmt(path: Path, body: bytes) -> _Encoding:
    if len(body) < 16:
        raise AudioInputError(f"{path} is damaged: its format chunk is too short")
    tag, channels, rate, _, _, bits = struct.unpack_from("<HHIIHH", body)
    if tag == _EXTENSIBLE and len(body) >= 26:
        (tag,) = struct.unpack_from("<H", body, 24)
    width = bits // 8
    is_float = tag == _IEEE_FLOAT
    supported = (tag == _PCM and width in (1, 2, 3, 4)) or (is_float and width in (4, 8))
    if not supported or bits % 8 or channels < 1 or rate < 1:
        raise AudioInputError(
            f"{path} uses an unsupported WAV encoding (format tag {tag:#06x}, {bits} bits, "
            f"{channels} channels, {rate} Hz); only integer PCM and float WAV are read; "
            f"{_CONVERT_HINT}"
        )
    if not MIN_RATE <= rate <= MAX_RATE or channels > MAX_CHANNELS:
        raise AudioInputError(
            f"{path} declares an implausible format ({rate} Hz, {channels} channels; read are "
            f"{MIN_RATE}-{MAX_RATE} Hz and up to {MAX_CHANNELS} channels); {_CONVERT_HINT}"
        )
    return _Encoding(AudioFormat(rate, width, channels), is_float)


def _float_to_int32(data: bytes, encoding: _Encoding) -> Chunk:
    samples = np.frombuffer(data, "<f4" if encoding.fmt.width == 4 else "<f8")
    scaled = np.clip(np.nan_to_num(samples) * 2.0**31, -(2.0**31), 2.0**31 - 1)
    fmt = AudioFormat(encoding.fmt.rate, 4, encoding.fmt.channels)
    return Chunk(scaled.astype("<i4").tobytes(), fmt)


def _check_not_silent(path: Path, chunk: Chunk) -> None:
    peak = float(np.abs(pcm_to_float(chunk.pcm, chunk.fmt)).max())
    peak_dbfs = 20 * math.log10(peak) if peak > 0 else -math.inf
    if peak_dbfs < SILENCE_PEAK_DBFS:
        raise AudioInputError(
            f"no speech in {path}: the audio is silent (peak {peak_dbfs:.0f} dBFS, "
            f"below {SILENCE_PEAK_DBFS:.0f} dBFS)"
        )
