"""A stand-in for voiceshop/speaker/_pyttsx3_worker.py: 0.1 s of silence per sentence.

    python fake_tts_worker.py FOLDER [ignored options]

With $PLAYING_MARK set, it writes the second and later sentences only once that file exists
(the test's player makes it when it has the first sentence).
"""

from __future__ import annotations

import os
import sys
import time
import wave
from pathlib import Path


def main() -> None:
    folder = Path(sys.argv[1])
    mark = os.environ.get("PLAYING_MARK")
    print("ready", flush=True)
    for number, _sentence in enumerate(sys.stdin, 1):
        while number > 1 and mark and not Path(mark).exists():
            time.sleep(0.01)
        path = folder / f"part-{number:03d}.wav"
        with wave.open(str(path), "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(16_000)
            wav.writeframes(bytes(3200))
        print(path, flush=True)


if __name__ == "__main__":
    main()
