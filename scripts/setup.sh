# Sourced by scripts/demo and scripts/test: makes sure the system packages and the virtual
# environment (.venv) are in place, installing whatever is missing. VOICESHOP_EXTRAS names the
# extras to install (scripts/test: dev, the default; scripts/demo: demo).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
EXTRAS="${VOICESHOP_EXTRAS:-dev}"
# The demo speaks (espeak-ng) and plays (PortAudio); the tests also need a virtual microphone
# (PulseAudio), a PostgreSQL server and a browser.
APT_PACKAGES=(python3-venv espeak-ng libespeak-ng1 libportaudio2)
[ "$EXTRAS" = demo ] ||
    APT_PACKAGES+=(pulseaudio pulseaudio-utils libasound2-plugins postgresql-15 chromium)

say() { printf 'voiceshop setup: %s\n' "$*" >&2; }

need_python() {
    for candidate in python3.13 python3.12 python3.11 python3; do
        if command -v "$candidate" >/dev/null &&
           "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
            PYTHON="$(command -v "$candidate")"
            return
        fi
    done
    say "Python 3.11 or newer is needed: sudo apt-get install python3"
    exit 1
}

need_system_packages() {
    local missing=()
    for package in "${APT_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" ||
            missing+=("$package")
    done
    [ ${#missing[@]} -eq 0 ] && return
    if [ "$(id -u)" -ne 0 ]; then
        say "missing system packages; run:"
        say "  sudo apt-get install -y ${missing[*]}"
        exit 1
    fi
    say "installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
}

# Installs voiceshop editable with EXTRAS (default: dev, everything the test command needs), at
# the versions CI tested (constraints.txt, written by scripts/freeze_constraints).
need_venv() {
    local extras="$1"
    local stamp="$VENV/.voiceshop-installed"
    local wanted
    wanted="$(cat "$ROOT/pyproject.toml" "$ROOT/constraints.txt" | sha256sum | cut -d' ' -f1)"
    if [ -f "$stamp" ] && grep -qxF "$wanted $extras" "$stamp"; then
        return
    fi
    [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
    say "installing voiceshop[$extras] into .venv (first run takes a minute or two)"
    "$VENV/bin/python" -m pip install -q --upgrade pip
    "$VENV/bin/python" -m pip install -q -c "$ROOT/constraints.txt" -e "$ROOT[$extras]"
    { grep "^$wanted " "$stamp" 2>/dev/null || true; echo "$wanted $extras"; } >"$stamp.new"
    mv "$stamp.new" "$stamp"
}

need_python
need_system_packages
need_venv "$EXTRAS"
