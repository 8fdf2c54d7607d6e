#!/usr/bin/env bash
# Build librealsense with its Python bindings for a Raspberry Pi (Pi 4 / Pi 5, Raspberry Pi OS
# bookworm 64-bit) and install pyrealsense2 into a virtual environment.
#
# Intel publishes no aarch64 pyrealsense2 wheel, so the Pi builds it. RSUSB backend: user-space
# USB through libusb, no kernel patches needed (the stock Raspberry Pi kernel lacks the UVC
# metadata patches the V4L2 backend wants).
#
# Usage (as root):  hardware/pi/build_librealsense.sh [VENV_DIR]    (default /opt/hinge-kiosk/venv)
# Env: LIBREALSENSE_TAG (default v2.59.1, the version the x86_64 wheel is), JOBS (default: 2 on
# a 4 GB Pi 4 to stay out of swap, nproc otherwise), SRC_DIR (default /usr/local/src/librealsense).
# Takes ~45 min on a Pi 5 and ~90 min on a Pi 4.
set -euo pipefail

VENV_DIR="${1:-/opt/hinge-kiosk/venv}"
TAG="${LIBREALSENSE_TAG:-v2.59.1}"
SRC_DIR="${SRC_DIR:-/usr/local/src/librealsense}"
REPO="${LIBREALSENSE_REPO:-https://github.com/realsenseai/librealsense.git}"
mem_kb=$(awk '/MemTotal/ {print $2}' /proc/meminfo)
if [ "$mem_kb" -lt 6000000 ]; then default_jobs=2; else default_jobs=$(nproc); fi
JOBS="${JOBS:-$default_jobs}"

[ "$(id -u)" = 0 ] || { echo "run as root (sudo $0)" >&2; exit 1; }
[ "$(uname -m)" = aarch64 ] || echo "warning: not aarch64 ($(uname -m)); x86_64 should use the PyPI wheel" >&2

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends git cmake build-essential pkg-config \
  libusb-1.0-0-dev libudev-dev libssl-dev python3-dev python3-venv ca-certificates

if [ ! -d "$SRC_DIR/.git" ]; then
  git clone --depth 1 --branch "$TAG" "$REPO" "$SRC_DIR"
fi
[ -x "$VENV_DIR/bin/python" ] || python3 -m venv "$VENV_DIR"
PY="$VENV_DIR/bin/python"

mkdir -p "$SRC_DIR/build"
cd "$SRC_DIR/build"
cmake .. -DCMAKE_BUILD_TYPE=Release \
  -DFORCE_RSUSB_BACKEND=ON \
  -DBUILD_PYTHON_BINDINGS=ON -DPYTHON_EXECUTABLE="$PY" \
  -DBUILD_EXAMPLES=OFF -DBUILD_GRAPHICAL_EXAMPLES=OFF -DBUILD_TOOLS=OFF \
  -DBUILD_UNIT_TESTS=OFF -DCHECK_FOR_UPDATES=OFF -DBUILD_WITH_OPENMP=OFF
make -j"$JOBS"
make install
ldconfig

# Put the bindings into the venv as a regular `pyrealsense2` package, as the wheel does.
SITE=$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
mkdir -p "$SITE/pyrealsense2"
cp -a "$SRC_DIR"/build/Release/pyrealsense2*.so* "$SITE/pyrealsense2/" 2>/dev/null \
  || cp -a "$SRC_DIR"/build/wrappers/python/pyrealsense2*.so* "$SITE/pyrealsense2/"
printf 'from .pyrealsense2 import *  # noqa: F401,F403\n' > "$SITE/pyrealsense2/__init__.py"
"$PY" -c 'import pyrealsense2 as rs; print("pyrealsense2 OK:", len(rs.context().query_devices()), "camera(s)")'
