#!/usr/bin/env bash
# Build librealsense with its Python bindings for a Raspberry Pi (Pi 4 / Pi 5, Raspberry Pi OS
# bookworm 64-bit) and install pyrealsense2 into a virtual environment.
#
# Intel publishes no aarch64 pyrealsense2 wheel, so the Pi builds it. RSUSB backend: user-space
# USB through libusb, no kernel patches needed (the stock Raspberry Pi kernel lacks the UVC
# metadata patches the V4L2 backend wants).
#
# Usage (as root):  hardware/pi/build_librealsense.sh [VENV_DIR]    (default /opt/hinge-kiosk/venv)
# Env: LIBREALSENSE_TAG (default below, the version the x86_64 wheel is), JOBS (default: one
# compiler job per 1.5 GB of available memory, at most nproc), SRC_DIR (default
# /usr/local/src/librealsense), LIBREALSENSE_REPO (the git URL).
# Takes ~45 min on a Pi 5 and ~90 min on a Pi 4.
#
# Safe to run again, and with another tag (see docs/install-pi.md, "Re-running the installer"):
#   - the source is checked out detached at the tag's commit: a tag not in the clone is fetched
#     first, and the script stops unless HEAD is then exactly that commit with no tracked file
#     changed. A source folder that is no git checkout, has no commit (an interrupted clone) or
#     has changed/missing files (an interrupted checkout, local edits) is removed and cloned
#     again: stale code is never built. A new clone goes to $SRC_DIR.partial first and is
#     renamed into place only when complete.
#   - the build folder is $SRC_DIR/build-<tag>, reused only for the same commit (it records it);
#     build folders of other tags (and the old $SRC_DIR/build) are removed.
#   - before anything is fetched or built: free disk is checked (refused, one line, when short)
#     and, when RAM + swap is below what the build needs, a swap file is added for the build
#     and removed again when the script exits (also on failure).
#   - $VENV_DIR/librealsense-build.txt records the tag and commit installed into the venv
#     (state=building while a build runs); install.sh reads it to decide whether to build.
set -euo pipefail

DEFAULT_LIBREALSENSE_TAG=v2.59.1
# Every path below is under $ROOT: empty on a Pi; tests/test_pi_install_rebuild.py points it at
# a scratch tree (proc/meminfo included) with git, cmake, make, df, ... stubbed or wrapped.
ROOT="${HINGE_KIOSK_ROOT:-}"
VENV_DIR="${1:-$ROOT/opt/hinge-kiosk/venv}"
TAG="${LIBREALSENSE_TAG:-$DEFAULT_LIBREALSENSE_TAG}"
SRC_DIR="${SRC_DIR:-$ROOT/usr/local/src/librealsense}"
SRC_DIR="${SRC_DIR%/}"
REPO="${LIBREALSENSE_REPO:-https://github.com/realsenseai/librealsense.git}"
STAMP="$VENV_DIR/librealsense-build.txt"
# Only while the build runs (removed on exit): Raspberry Pi OS's own swap is 100-200 MB, and a
# permanent swap file on the SD card would wear it and let a leaking kiosk page instead of
# being restarted by its unit's MemoryMax=.
SWAPFILE="${SWAPFILE:-$ROOT/var/swap.librealsense-build}"
# What the build needs. Disk: the shallow source (~0.2 GB), the build tree (~1.5 GB), the
# build tools from apt (~0.3 GB) and a margin. Memory: RAM + swap >= 3.5 GiB (a "4 GB" Pi
# reports ~3.8 GB and builds with 2 jobs without swap; a 2 GB one, ~1.85 GB, gets a swap file
# and 1 job), and 1.5 GB of available RAM per parallel compiler job (the pybind11 wrappers
# peak above 1 GB per g++ on aarch64).
NEED_DISK_MB=3072
NEED_MEM_MB=3584
MB_PER_JOB=1536

die() { echo "build_librealsense.sh: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || { echo "run as root (sudo $0)" >&2; exit 1; }
[ "$(uname -m)" = aarch64 ] || echo "warning: not aarch64 ($(uname -m)); x86_64 should use the PyPI wheel" >&2
[[ "$TAG" =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]] || die "LIBREALSENSE_TAG='$TAG' is not a tag name such as $DEFAULT_LIBREALSENSE_TAG"
case "$SRC_DIR" in
  /*/*) ;;
  *) die "SRC_DIR='$SRC_DIR' must be an absolute path below / (it is removed when unusable)" ;;
esac
BUILD_DIR="$SRC_DIR/build-$TAG"

# --- the source folder as an earlier run left it ----------------------------------------------
# Prints why $SRC_DIR cannot be used as it is (nothing when it can, or when it is absent).
src_problem() {
  [ -e "$SRC_DIR" ] || return 0
  command -v git >/dev/null || return 0  # not judged without git (apt installs it below)
  [ -d "$SRC_DIR/.git" ] || { echo "not a git checkout"; return 0; }
  local top
  top=$(git -C "$SRC_DIR" rev-parse --show-toplevel 2>/dev/null) || { echo "a broken git folder"; return 0; }
  [ "$(cd "$top" && pwd -P)" = "$(cd "$SRC_DIR" && pwd -P)" ] || { echo "not a git checkout"; return 0; }
  git -C "$SRC_DIR" rev-parse -q --verify 'HEAD^{commit}' >/dev/null \
    || { echo "no commit checked out (an interrupted clone)"; return 0; }
  [ -z "$(git -C "$SRC_DIR" status --porcelain --untracked-files=no 2>/dev/null || echo '?')" ] \
    || { echo "changed or missing files (an interrupted checkout, or local edits)"; return 0; }
}
rm -rf "$SRC_DIR.partial"  # a clone an earlier run did not finish
why=$(src_problem)
if [ -n "$why" ]; then
  echo "$SRC_DIR is unusable ($why): removing it, it will be cloned again"
  rm -rf "$SRC_DIR"
fi
# Build folders of other tags or commits, and the single build/ of older versions of this
# script: stale, and 1-2 GB each.
if [ -d "$SRC_DIR" ]; then
  for d in "$SRC_DIR"/build "$SRC_DIR"/build-*; do
    if [ "$d" != "$BUILD_DIR" ] && { [ -f "$d/CMakeCache.txt" ] || [ -f "$d/.source-commit" ]; }; then
      echo "removing the stale build folder $d"
      rm -rf "$d"
    fi
  done
fi

# --- disk and memory, before anything is fetched or built -------------------------------------
# df -Pk on the nearest existing folder: "<free MB> <mount point>".
disk_free() {
  local p=$1
  while [ ! -e "$p" ]; do p=$(dirname "$p"); done
  df -Pk "$p" | awk 'NR == 2 { printf "%d %s\n", $4 / 1024, $6 }'
}
meminfo_mb() { awk -v key="$1:" '$1 == key { printf "%d\n", $2 / 1024; found = 1 } END { if (!found) print -1 }' "$ROOT/proc/meminfo"; }
mem_total=$(meminfo_mb MemTotal)
mem_avail=$(meminfo_mb MemAvailable)
swap_total=$(meminfo_mb SwapTotal)
[ "$mem_total" -gt 0 ] || die "cannot read MemTotal from $ROOT/proc/meminfo"
[ "$mem_avail" -ge 0 ] || mem_avail=$mem_total
[ "$swap_total" -ge 0 ] || swap_total=0

swap_mb=0
if [ $((mem_total + swap_total)) -lt "$NEED_MEM_MB" ]; then
  # Rounded up to 256 MB.
  swap_mb=$(( (NEED_MEM_MB - mem_total - swap_total + 255) / 256 * 256 ))
fi
read -r src_free src_mount < <(disk_free "$SRC_DIR")
[[ "${src_free:-}" =~ ^[0-9]+$ ]] || die "cannot read the free disk space for $SRC_DIR (df -Pk)"
need=$NEED_DISK_MB
what="source, build tree, build tools"
if [ "$swap_mb" -gt 0 ]; then
  read -r swap_free swap_mount < <(disk_free "$SWAPFILE")
  [[ "${swap_free:-}" =~ ^[0-9]+$ ]] || die "cannot read the free disk space for $SWAPFILE (df -Pk)"
  if [ "$swap_mount" = "$src_mount" ]; then
    need=$((need + swap_mb))
    what="$what, a $swap_mb MB swap file for a ${mem_total} MB board"
  elif [ "$swap_free" -lt "$swap_mb" ]; then
    die "not enough free disk for the build's swap file: needs $swap_mb MB free on $swap_mount, $swap_free MB free; free some space there or set SWAPFILE to a path on a larger filesystem, then run the installer again"
  fi
fi
if [ "$src_free" -lt "$need" ]; then
  die "not enough free disk for the librealsense build: needs $need MB free on $src_mount ($what), $src_free MB free; free some (sudo apt clean, old files) or use a larger SD card, then run the installer again"
fi

nproc_n=$(nproc)
mem_jobs=$(( mem_avail / MB_PER_JOB ))
[ "$mem_jobs" -ge 1 ] || mem_jobs=1
default_jobs=$(( mem_jobs < nproc_n ? mem_jobs : nproc_n ))
JOBS="${JOBS:-$default_jobs}"
echo "memory: ${mem_total} MB RAM (${mem_avail} MB available), ${swap_total} MB swap; building with make -j$JOBS"

remove_swap() {
  [ -e "$SWAPFILE" ] || return 0
  swapoff "$SWAPFILE" 2>/dev/null || true
  rm -f "$SWAPFILE"
}
# Prints nothing; returns non-zero when the file could not be made into active swap.
try_swap() {  # $1: fallocate | dd
  rm -f "$SWAPFILE"
  if [ "$1" = fallocate ]; then
    (umask 077 && fallocate -l "${swap_mb}M" "$SWAPFILE") || return 1
  else
    (umask 077 && dd if=/dev/zero of="$SWAPFILE" bs=1M count="$swap_mb" status=none) || return 1
  fi
  chmod 0600 "$SWAPFILE"
  mkswap "$SWAPFILE" >/dev/null && swapon "$SWAPFILE"
}
remove_swap  # left by an earlier run that was cut off (it is in no fstab: inactive since boot)
if [ "$swap_mb" -gt 0 ]; then
  trap remove_swap EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  mkdir -p "$(dirname "$SWAPFILE")"
  # fallocate is instant; a filesystem that cannot swap to a preallocated file gets dd's zeros.
  try_swap fallocate || try_swap dd \
    || die "could not add the $swap_mb MB swap file $SWAPFILE the build needs on a ${mem_total} MB board; add swap by hand (RAM + swap >= $NEED_MEM_MB MB), then run the installer again"
  echo "added a $swap_mb MB swap file for the build ($SWAPFILE, RAM + swap now $((mem_total + swap_total + swap_mb)) MB; removed when the build ends)"
fi

# --- build tools, the source at the tag ---------------------------------------------------
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends git cmake build-essential pkg-config \
  libusb-1.0-0-dev libudev-dev libssl-dev python3-dev python3-venv ca-certificates

[ -x "$VENV_DIR/bin/python" ] || python3 -m venv "$VENV_DIR"
PY="$VENV_DIR/bin/python"
printf 'state=building\ntag=%s\n' "$TAG" > "$STAMP"

tag_commit() { git -C "$SRC_DIR" rev-parse -q --verify "refs/tags/$TAG^{commit}" 2>/dev/null; }
if [ ! -d "$SRC_DIR" ]; then
  mkdir -p "$(dirname "$SRC_DIR")"
  git clone -q --depth 1 --branch "$TAG" "$REPO" "$SRC_DIR.partial"
  mv "$SRC_DIR.partial" "$SRC_DIR"
fi
if ! tag_commit >/dev/null; then
  echo "fetching librealsense $TAG"
  if git -C "$SRC_DIR" remote get-url origin >/dev/null 2>&1; then
    git -C "$SRC_DIR" remote set-url origin "$REPO"
  else
    git -C "$SRC_DIR" remote add origin "$REPO"
  fi
  git -C "$SRC_DIR" fetch -q --depth 1 origin "+refs/tags/$TAG:refs/tags/$TAG"
fi
want=$(tag_commit) || die "the tag $TAG is not in $REPO"
if [ "$(git -C "$SRC_DIR" rev-parse HEAD)" != "$want" ]; then
  git -C "$SRC_DIR" -c advice.detachedHead=false checkout -q --force --detach "refs/tags/$TAG"
fi
head=$(git -C "$SRC_DIR" rev-parse HEAD)
[ "$head" = "$want" ] || die "$SRC_DIR is at $head, not at $TAG ($want); remove it and run again"
[ -z "$(git -C "$SRC_DIR" status --porcelain --untracked-files=no)" ] \
  || die "$SRC_DIR has changed files after checking out $TAG; remove it and run again"
echo "librealsense source: $(git -C "$SRC_DIR" describe --tags --exact-match HEAD 2>/dev/null || echo "$TAG") at ${head:0:12} in $SRC_DIR"

# --- build, install --------------------------------------------------------------------------
if [ -d "$BUILD_DIR" ] && [ "$(cat "$BUILD_DIR/.source-commit" 2>/dev/null)" != "$head" ]; then
  echo "removing $BUILD_DIR: built from another commit"
  rm -rf "$BUILD_DIR"
fi
mkdir -p "$BUILD_DIR"
echo "$head" > "$BUILD_DIR/.source-commit"
cd "$BUILD_DIR"
cmake "$SRC_DIR" -DCMAKE_BUILD_TYPE=Release \
  -DFORCE_RSUSB_BACKEND=ON \
  -DBUILD_PYTHON_BINDINGS=ON -DPYTHON_EXECUTABLE="$PY" \
  -DBUILD_EXAMPLES=OFF -DBUILD_GRAPHICAL_EXAMPLES=OFF -DBUILD_TOOLS=OFF \
  -DBUILD_UNIT_TESTS=OFF -DCHECK_FOR_UPDATES=OFF -DBUILD_WITH_OPENMP=OFF
make -j"$JOBS"
make install
ldconfig

# Put the bindings into the venv as a regular `pyrealsense2` package, as the wheel does (the
# folder emptied first: no module of an earlier version left beside the new one).
SITE=$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
{ [ -n "$SITE" ] && [ -d "$SITE" ]; } || die "no site-packages folder in $VENV_DIR"
rm -rf "$SITE/pyrealsense2"
mkdir -p "$SITE/pyrealsense2"
cp -a "$BUILD_DIR"/Release/pyrealsense2*.so* "$SITE/pyrealsense2/" 2>/dev/null \
  || cp -a "$BUILD_DIR"/wrappers/python/pyrealsense2*.so* "$SITE/pyrealsense2/"
printf 'from .pyrealsense2 import *  # noqa: F401,F403\n' > "$SITE/pyrealsense2/__init__.py"
"$PY" -c 'import pyrealsense2 as rs; print("pyrealsense2 OK:", len(rs.context().query_devices()), "camera(s)")'
printf 'state=installed\ntag=%s\ncommit=%s\n' "$TAG" "$head" > "$STAMP"
echo "librealsense $TAG installed into $VENV_DIR"
