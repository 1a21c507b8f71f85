"""Conversion to the engine format and the WAV reader: layouts, streaming, bad files."""

from __future__ import annotations

import re
import struct
import wave
from pathlib import Path

import numpy as np
import pytest

from voiceshop.audio.convert import Resampler, require_engine_format, to_engine_format
from voiceshop.audio.types import ENGINE_FORMAT, AudioFormat, Chunk
from voiceshop.audio.wav import MAX_FILE_BYTES, read_wav, wav_chunks
from voiceshop.errors import AudioInputError

TONE_HZ = 440.0


def tone(rate: int, seconds: float, amplitude: float = 0.5) -> np.ndarray:
    """A sine wave in [-1, 1) at `rate`."""
    t = np.arange(round(rate * seconds)) / rate
    return amplitude * np.sin(2 * np.pi * TONE_HZ * t)


def encode(samples: np.ndarray, width: int) -> bytes:
    """Float samples (frames x channels) as little-endian integer PCM of `width` bytes."""
    if width == 1:
        return np.round(samples * 127 + 128).astype(np.uint8).tobytes()
    if width == 3:
        ints = np.round(samples * (2**23 - 1)).astype("<i4")
        return ints.view(np.uint8).reshape(-1, 4)[:, :3].tobytes()
    dtype = "<i2" if width == 2 else "<i4"
    return np.round(samples * (2 ** (8 * width - 1) - 1)).astype(dtype).tobytes()


def write_wav(path: Path, samples: np.ndarray, rate: int, width: int = 2) -> Path:
    """Write float samples shaped (frames,) or (frames, channels) as an integer PCM WAV."""
    frames = samples.reshape(len(samples), -1) if samples.ndim == 1 else samples
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(frames.shape[1])
        wav.setsampwidth(width)
        wav.setframerate(rate)
        wav.writeframes(encode(frames, width))
    return path


def write_float_wav(path: Path, samples: np.ndarray, rate: int) -> Path:
    """A mono 32-bit IEEE-float WAV (format tag 3), which the `wave` module cannot write."""
    data = samples.astype("<f4").tobytes()
    fmt = struct.pack("<HHIIHH", 3, 1, rate, rate * 4, 4, 32)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
    body += b"data" + struct.pack("<I", len(data)) + data
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    return path


def as_float(chunk: Chunk) -> np.ndarray:
    return np.frombuffer(chunk.pcm, "<i2").astype(np.float64) / 32768


def assert_tone(chunk: Chunk, seconds: float, amplitude: float = 0.5) -> None:
    """`chunk` is engine format and holds the test tone, sample for sample within a small error."""
    assert chunk.fmt == ENGINE_FORMAT
    expected = tone(ENGINE_FORMAT.rate, seconds, amplitude)
    got = as_float(chunk)
    assert len(got) == len(expected)
    middle = slice(800, -800)  # skip the resampler's edge transients
    assert np.abs(got[middle] - expected[middle]).max() < 0.01


def test_44k_stereo_24_bit_becomes_16k_mono(tmp_path: Path) -> None:
    left = tone(44_100, 1.0)
    stereo = np.stack([left, left], axis=1)
    path = write_wav(tmp_path / "stereo24.wav", stereo, 44_100, width=3)

    assert_tone(read_wav(path), 1.0)


def test_stereo_channels_are_averaged() -> None:
    left = tone(16_000, 0.5)
    stereo = np.stack([left, np.zeros_like(left)], axis=1)
    chunk = Chunk(encode(stereo, 2), AudioFormat(16_000, 2, 2))

    assert_tone(to_engine_format(chunk), 0.5, amplitude=0.25)


def test_8_bit_unsigned_8_khz(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "u8.wav", tone(8_000, 1.0), 8_000, width=1)

    chunk = read_wav(path)

    assert chunk.fmt == ENGINE_FORMAT
    assert chunk.seconds == pytest.approx(1.0)
    expected = tone(16_000, 1.0)
    assert np.abs(as_float(chunk)[800:-800] - expected[800:-800]).max() < 0.02


@pytest.mark.parametrize("rate", [22_050, 32_000, 48_000])
def test_32_bit_int_at_common_rates(tmp_path: Path, rate: int) -> None:
    path = write_wav(tmp_path / "i32.wav", tone(rate, 1.0), rate, width=4)

    assert_tone(read_wav(path), 1.0)


def test_float_wav(tmp_path: Path) -> None:
    path = write_float_wav(tmp_path / "float.wav", tone(48_000, 1.0), 48_000)

    assert_tone(read_wav(path), 1.0)


def test_engine_format_passes_through_unchanged() -> None:
    chunk = Chunk(encode(tone(16_000, 0.1), 2))

    assert to_engine_format(chunk) is chunk


def test_chunkwise_resampler_equals_one_shot() -> None:
    source = AudioFormat(44_100, 2, 2)
    signal = np.stack([tone(44_100, 2.0), tone(44_100, 2.0, 0.3)], axis=1)
    pcm = encode(signal, 2)
    resampler = Resampler(source)
    odd_sizes = [1001, 4410, 3, 8820, 17]  # includes pieces that end mid-frame
    pieces, start = [], 0
    while start < len(pcm):
        size = odd_sizes[len(pieces) % len(odd_sizes)]
        pieces.append(resampler.convert(Chunk(pcm[start : start + size], source)).pcm)
        start += size
    pieces.append(resampler.flush().pcm)

    streamed = np.frombuffer(b"".join(pieces), "<i2").astype(np.int32)
    one_shot = np.frombuffer(to_engine_format(Chunk(pcm, source)).pcm, "<i2").astype(np.int32)

    assert len(streamed) == len(one_shot) == 32_000
    assert np.abs(streamed - one_shot).max() <= 2


def test_resampler_refuses_another_format() -> None:
    resampler = Resampler(AudioFormat(48_000, 2, 1))

    with pytest.raises(ValueError, match="make a new Resampler"):
        resampler.convert(Chunk(b"\0\0", AudioFormat(44_100, 2, 1)))


def test_recognizers_refuse_unconverted_audio() -> None:
    with pytest.raises(ValueError, match="convert it first"):
        require_engine_format(Chunk(b"\0\0", AudioFormat(48_000, 2, 1)))


def test_wav_chunks_streams_the_same_audio_as_read_wav(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "s.wav", tone(22_050, 1.23), 22_050)

    chunks = list(wav_chunks(path, seconds_per_chunk=0.1))

    assert all(c.fmt == ENGINE_FORMAT for c in chunks)
    assert all(c.seconds == pytest.approx(0.1) for c in chunks[:-1])
    streamed = np.frombuffer(b"".join(c.pcm for c in chunks), "<i2").astype(np.int32)
    whole = np.frombuffer(read_wav(path).pcm, "<i2").astype(np.int32)
    assert len(streamed) == len(whole)
    assert np.abs(streamed - whole).max() <= 2


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.wav"

    message = f"cannot read {path}: the file does not exist"
    with pytest.raises(AudioInputError, match=re.escape(message)):
        read_wav(path)


def test_not_audio(tmp_path: Path) -> None:
    path = tmp_path / "notes.wav"
    path.write_text("add two apples to my cart\n")

    with pytest.raises(AudioInputError, match=re.escape(f"{path} is not a WAV file")):
        read_wav(path)


def test_truncated(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "cut.wav", tone(16_000, 1.0), 16_000)
    path.write_bytes(path.read_bytes()[:10_000])

    with pytest.raises(AudioInputError, match=re.escape(f"{path} is truncated")):
        read_wav(path)


def test_header_only_is_truncated(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "header.wav", tone(16_000, 1.0), 16_000)
    path.write_bytes(path.read_bytes()[:30])

    with pytest.raises(AudioInputError, match=re.escape(f"{path} is truncated")):
        read_wav(path)


def test_empty(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "empty.wav", np.zeros((0, 1)), 16_000)

    with pytest.raises(AudioInputError, match=re.escape(f"{path} holds no audio (0 samples)")):
        read_wav(path)


def test_silent(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "quiet.wav", tone(16_000, 1.0, amplitude=0.0003), 16_000)

    message = f"no speech in {path}: the audio is silent"
    with pytest.raises(AudioInputError, match=re.escape(message)):
        read_wav(path)


def test_bad_file_raises_before_streaming(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "zeros.wav", np.zeros(16_000), 16_000)

    with pytest.raises(AudioInputError, match="the audio is silent"):
        wav_chunks(path)


def test_unsupported_encoding(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "alaw.wav", tone(8_000, 0.5), 8_000, width=1)
    blob = bytearray(path.read_bytes())
    blob[20:22] = struct.pack("<H", 6)  # A-law format tag
    path.write_bytes(bytes(blob))

    with pytest.raises(AudioInputError, match="unsupported WAV encoding"):
        read_wav(path)


@pytest.mark.parametrize("rate", [1, 4_000, 384_000])
def test_implausible_rate_is_refused_before_decoding(tmp_path: Path, rate: int) -> None:
    path = write_wav(tmp_path / "odd-rate.wav", tone(16_000, 1.0), 16_000)
    blob = bytearray(path.read_bytes())
    blob[24:28] = struct.pack("<I", rate)
    path.write_bytes(bytes(blob))

    message = f"{path} declares an implausible format ({rate} Hz, 1 channels"
    with pytest.raises(AudioInputError, match=re.escape(message)):
        read_wav(path)


def test_implausible_channel_count_is_refused(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "many.wav", np.tile(tone(8_000, 0.1)[:, None], (1, 64)), 8_000)

    with pytest.raises(AudioInputError, match="64 channels"):
        read_wav(path)


def test_huge_declared_size_is_truncated(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "huge.wav", tone(16_000, 1.0), 16_000)
    blob = bytearray(path.read_bytes())
    blob[40:44] = struct.pack("<I", 0xFFFFFFF0)
    path.write_bytes(bytes(blob))

    with pytest.raises(AudioInputError, match=re.escape(f"{path} is truncated")):
        read_wav(path)


def test_oversized_file_is_refused_unread(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "big.wav", tone(16_000, 1.0), 16_000)
    with path.open("r+b") as file:
        file.truncate(MAX_FILE_BYTES + 1)  # sparse: no disk used

    with pytest.raises(AudioInputError, match=re.escape(f"{path} is too large")):
        read_wav(path)


def test_longer_than_max_seconds_is_refused(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "long.wav", tone(8_000, 3.0), 8_000)

    assert len(read_wav(path, max_seconds=3.0).pcm) == 3 * 16_000 * 2
    with pytest.raises(AudioInputError, match=re.escape(f"{path} is 3 s long, more than the 2 s")):
        wav_chunks(path, max_seconds=2.0)
