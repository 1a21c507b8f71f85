"""A private PulseAudio server whose null sink is a virtual microphone, for end-to-end tests.

Whatever is played into the sink `vmic` (`paplay FILE.wav`, or a Speaker) is heard by anything
recording its monitor, which is the default source, through ALSA's "pulse"/"default" devices
(libasound2-plugins). Recipe, checked on Debian 12 with pulseaudio 16.1, as root, without a sound
card or D-Bus:

    D=$(mktemp -d); mkdir "$D/pulse"
    cat > "$D/vmic.pa" <<EOF
    load-module module-native-protocol-unix socket=$D/pulse/native auth-anonymous=1
    load-module module-null-sink sink_name=vmic norewinds=1 rate=16000 channels=1
    set-default-sink vmic
    set-default-source vmic.monitor
    EOF
    XDG_RUNTIME_DIR=$D PULSE_RUNTIME_PATH=$D/pulse HOME=$D pulseaudio -n --daemonize=no \\
        --system=false --exit-idle-time=-1 --disallow-exit -F "$D/vmic.pa" &
    export PULSE_SERVER=unix:$D/pulse/native      # clients need only this
    until pactl info >/dev/null 2>&1; do sleep 0.1; done
    paplay speech.wav                             # a sounddevice input stream now hears it

What matters:
- `norewinds=1`: without it the null sink's monitor stays silent while nothing plays and then
  delivers in 2-second bursts (the first callback came 2 s late, `paplay` of 2 s took 3.9 s);
  with it, audio arrives in real time (4.0 s in 4.05 s) and a 2 s `paplay` takes 2.0 s.
- `-n -F file`: no system default.pa (it would probe for sound cards); `--system=false` as root
  only logs "This program is not intended to be run as root"; D-Bus and cookie warnings are noise.
- `vmic` is also the default sink, so a Speaker's replies land in the microphone too: the
  real echo that the MicGate must keep out.
- PortAudio lists devices once, when it starts: a process that imported sounddevice before the
  server ran must call `voiceshop.audio.microphone.refresh_devices()` to see "pulse".
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
import wave
from pathlib import Path

import numpy as np

STARTUP_TIMEOUT_S = 10.0
DAEMON_OPTIONS = (
    "-n", "--daemonize=no", "--system=false", "--exit-idle-time=-1", "--disallow-exit"
)  # fmt: skip
"""No default.pa; stay in the foreground; never exit when idle or when a client asks."""


class PulseUnavailable(RuntimeError):
    """PulseAudio is not installed or would not start here."""


class VirtualMicrophone:
    """A private PulseAudio server with a null sink `vmic` whose monitor is the default source."""

    def __init__(self) -> None:
        self._dir = Path(tempfile.mkdtemp(prefix="voiceshop-pulse-"))
        self._process: subprocess.Popen[bytes] | None = None
        self.address = f"unix:{self._dir / 'pulse' / 'native'}"
        """The PULSE_SERVER value that reaches this server."""

    @property
    def client_env(self) -> dict[str, str]:
        """This process's environment, pointed at this server."""
        return {**os.environ, "PULSE_SERVER": self.address}

    def start(self) -> None:
        """Start the server and wait until it answers; PulseUnavailable when it cannot."""
        missing = [tool for tool in ("pulseaudio", "pactl", "paplay") if not shutil.which(tool)]
        if missing:
            raise PulseUnavailable(
                f"{', '.join(missing)} not found: sudo apt-get install pulseaudio pulseaudio-utils"
            )
        (self._dir / "pulse").mkdir()
        script = self._dir / "vmic.pa"
        script.write_text(self._script())
        log = self._dir / "log"
        self._process = subprocess.Popen(
            ["pulseaudio", *DAEMON_OPTIONS, "-F", str(script), f"--log-target=file:{log}"],
            env=self._server_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._wait_until_ready()

    def play(self, wav: Path) -> None:
        """Play a WAV file into the virtual microphone; returns when it has been played."""
        subprocess.run(["paplay", str(wav)], env=self.client_env, check=True, timeout=60)

    def stop(self) -> None:
        """Stop the server and delete its files."""
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
        shutil.rmtree(self._dir, ignore_errors=True)

    def _script(self) -> str:
        return "\n".join(
            [
                f"load-module module-native-protocol-unix socket={self._dir / 'pulse' / 'native'}"
                " auth-anonymous=1",
                "load-module module-null-sink sink_name=vmic norewinds=1 rate=16000 channels=1"
                " sink_properties=device.description=voiceshop-virtual-microphone",
                "set-default-sink vmic",
                "set-default-source vmic.monitor",
                "",
            ]
        )

    def _server_env(self) -> dict[str, str]:
        return {
            **os.environ,
            "XDG_RUNTIME_DIR": str(self._dir),
            "PULSE_RUNTIME_PATH": str(self._dir / "pulse"),
            "HOME": str(self._dir),
        }

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                break
            ready = subprocess.run(["pactl", "info"], env=self.client_env, capture_output=True)
            if ready.returncode == 0:
                return
            time.sleep(0.1)
        log = self._dir / "log"
        tail = log.read_text(errors="replace").strip().splitlines()[-3:] if log.exists() else []
        self.stop()
        raise PulseUnavailable(f"pulseaudio did not start: {' | '.join(tail) or 'no log'}")


def write_tone(path: Path, seconds: float, rate: int = 44_100) -> Path:
    """A 440 Hz tone at about -12 dBFS, stereo, so the server has to convert it."""
    t = np.arange(round(seconds * rate)) / rate
    mono = (np.sin(2 * np.pi * 440 * t) * 8000).astype(np.int16)
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(2)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(np.repeat(mono, 2).tobytes())
    return path
