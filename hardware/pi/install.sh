#!/usr/bin/env bash
# Install the hip-hinge kiosk on a Raspberry Pi (Pi 4 / Pi 5, Raspberry Pi OS Lite bookworm
# 64-bit) as a boot service that owns the screen. See docs/install-pi.md.
#
# Usage (as root, from a checkout of the project):  sudo hardware/pi/install.sh
#
# Idempotent: run it again after `git pull` to update. It never overwrites
# /etc/hinge-kiosk/kiosk.toml, keeps the operator PIN it holds, and skips the librealsense build
# (~45-90 min) when the venv already imports pyrealsense2 built from the wanted tag.
#
# Env: LIBREALSENSE_TAG        librealsense version (default: build_librealsense.sh's); a tag
#                              other than the installed one is fetched, checked out and built
#      REBUILD_LIBREALSENSE=1  build even when the wanted tag is installed
#      OPERATOR_PIN            the operator PIN (3-8 digits) for an unattended install; never shown
#      CHANGE_OPERATOR_PIN=1   replace a PIN already set (otherwise it is kept)
#      CLUB_SYNC=1             also install psycopg (the club-sync extra); automatic when
#                              kiosk.toml has [results] sync_to
#      REPORTS=1               also install matplotlib (the reports extra, ~105 MB) so
#                              `hinge-kiosk results report` prints PDFs on the box itself
#      LIBREALSENSE_FROM_PYPI=1  TEST/PROOF ONLY, x86_64 only, never on a Pi: pyrealsense2 from
#                              Intel's PyPI wheel at LIBREALSENSE_TAG's version instead of the
#                              librealsense build (hardware/pi/install_proof.sh, `make
#                              install-proof`). Refused on aarch64: Intel has no wheel for
#                              bookworm's Python 3.11 there.
#
# What it does, in order:
#   1. runtime packages (apt)            5. udev rule for the camera (group, no autosuspend)
#   2. service user hinge-kiosk + groups 6. /etc/hinge-kiosk/kiosk.toml from the example, and
#   3. librealsense + pyrealsense2          the operator PIN when it has none (asked on a
#   4. the kiosk into the venv              terminal or OPERATOR_PIN, else random and
#                                           shown once; CHANGE_OPERATOR_PIN=1 replaces it)
#                                        7. memory cgroup on (for the unit's MemoryMax=)
#                                        8. systemd units (kiosk, fallback notice),
#                                           getty@tty1 off, next steps
set -euo pipefail

REPO_DIR="$(cd "$(dirname "$0")/../.." && pwd)"
# Every file this script reads or writes is under $ROOT: empty on a Pi. tests/test_pi_install.py
# points it at a scratch tree (with the system tools stubbed) to check what a run does and
# that a second run changes nothing the first did.
ROOT="${HINGE_KIOSK_ROOT:-}"
PREFIX="$ROOT/opt/hinge-kiosk"
VENV="$PREFIX/venv"
ETC_DIR="$ROOT/etc/hinge-kiosk"
STATE_DIR="$ROOT/var/lib/hinge-kiosk"
SVC_USER=hinge-kiosk
# video/render: /dev/dri (KMSDRM display); input: keypad and scanner; plugdev: the camera
# (hardware/udev/99-realsense.rules); audio: /dev/snd. Same list as the unit's SupplementaryGroups=.
SVC_GROUPS="video render input plugdev audio"
UNIT=hinge-kiosk.service
# Started by the kiosk's OnFailure= once it has given up: a staff notice instead of a black panel.
FALLBACK_UNIT=hinge-kiosk-fallback.service

# Runtime libraries only (build_librealsense.sh installs its own build tools):
# libusb/libudev for librealsense; GL/EGL/GBM/DRM + Mesa's drivers for SDL's KMSDRM video (the
# pygame-ce wheel bundles SDL but loads the GPU stack from the system) and for Open3D;
# libgomp for Open3D; libasound2 for SDL's ALSA audio, alsa-utils to test the speaker
# (speaker-test, alsamixer); a TrueType font family for the screen's text.
APT_PACKAGES="python3 python3-venv libusb-1.0-0 libudev1 libgl1 libegl1 libgles2 libgbm1 \
libdrm2 libgl1-mesa-dri libgomp1 libx11-6 libasound2 alsa-utils fonts-dejavu-core"

say() { printf '\n==> %s\n' "$*"; }
reboot_needed=0

# The operator PIN of an unattended install: kept in an unexported variable and taken out of
# the environment at once, so no command this script runs (apt, pip, git, systemctl) inherits it.
operator_pin="${OPERATOR_PIN-}"
unset OPERATOR_PIN
change_pin="${CHANGE_OPERATOR_PIN:-0}"
# Bounds of kiosk/app/operator.py (hash_pin): 3 to MAX_PIN_DIGITS (8) digits. Checked before
# anything is installed; the message never repeats the value.
if [ -n "$operator_pin" ] && ! [[ "$operator_pin" =~ ^[0-9]{3,8}$ ]]; then
  echo "OPERATOR_PIN must be 3-8 digits; nothing installed" >&2
  exit 1
fi

# The test/proof switch (see Env above), checked before anything is installed. Intel's aarch64
# wheels of 2.59.1 are for Python 3.9, 3.10 and 3.12 only; bookworm's python3 is 3.11.
from_pypi="${LIBREALSENSE_FROM_PYPI:-0}"
case "$from_pypi" in
  0) ;;
  1)
    if [ "$(uname -m)" = aarch64 ]; then
      echo "LIBREALSENSE_FROM_PYPI=1 is a test switch for x86_64: Intel publishes no pyrealsense2" \
        "wheel for aarch64 Python 3.11 (bookworm); unset it to build librealsense; nothing installed" >&2
      exit 1
    fi ;;
  *) echo "LIBREALSENSE_FROM_PYPI must be 0 or 1; nothing installed" >&2; exit 1 ;;
esac

[ "$(id -u)" = 0 ] || { echo "run as root: sudo $0" >&2; exit 1; }
# shellcheck source=/dev/null
. "$ROOT/etc/os-release"
[ "${VERSION_CODENAME:-}" = bookworm ] \
  || echo "warning: written for Raspberry Pi OS bookworm, this is ${PRETTY_NAME:-unknown}" >&2
[ "$(uname -m)" = aarch64 ] \
  || echo "warning: not aarch64 ($(uname -m)); a 64-bit OS is required on the Pi" >&2

# A booted system (a Pi) runs systemd and udev; a chroot or an image being built (pi-gen,
# hardware/pi/install_proof.sh) does not: there `systemctl is-system-running` says "offline" and
# `udevadm control`, `systemctl daemon-reload` and `--now` fail ("System has not been booted with
# systemd"). Offline, the files are installed and the unit enabled for the first boot, and
# nothing is reloaded, triggered, stopped or started.
booted=1
if [ "$(systemctl is-system-running 2>/dev/null || true)" = offline ]; then
  booted=0
  echo "systemd is not running here (a chroot or an image build): installing for the next boot"
fi

say "1/8 runtime packages"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086  # word splitting of the package list is intended
apt-get install -y -qq --no-install-recommends $APT_PACKAGES

say "2/8 service user $SVC_USER"
for g in $SVC_GROUPS; do
  getent group "$g" >/dev/null || groupadd --system "$g"
done
if ! getent passwd "$SVC_USER" >/dev/null; then
  # A system user with no login; its home is the state directory (ProtectHome=yes hides /home).
  useradd --system --user-group --home-dir /var/lib/hinge-kiosk --no-create-home \
    --shell /usr/sbin/nologin --comment "hip-hinge kiosk" "$SVC_USER"
fi
# The unit adds the groups itself (SupplementaryGroups=); membership here is for running
# `sudo -u hinge-kiosk hinge-kiosk calibrate` by hand with the same device access.
usermod --append --groups "$(echo "$SVC_GROUPS" | tr ' ' ',')" "$SVC_USER"
# Normally created by the unit's StateDirectory=; made here too because calibration runs
# before the service's first start.
install -d -o "$SVC_USER" -g "$SVC_USER" -m 0700 "$STATE_DIR"

say "3/8 librealsense (pyrealsense2) into $VENV"
install -d -m 0755 "$PREFIX"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
BUILD_SH="$REPO_DIR/hardware/pi/build_librealsense.sh"
# The wanted version: LIBREALSENSE_TAG, else the build script's default (one place for it).
rs_tag="${LIBREALSENSE_TAG:-$(sed -n 's/^DEFAULT_LIBREALSENSE_TAG=//p' "$BUILD_SH")}"
# What the build script recorded: state=building|installed, tag=, commit=.
rs_stamp="$VENV/librealsense-build.txt"
stamp_get() { sed -n "s/^$1=//p" "$rs_stamp" 2>/dev/null | head -n 1; }
build=""
if [ "$from_pypi" = 1 ]; then
  # v2.59.1 -> pyrealsense2==2.59.1.* (Intel's wheels add a build number).
  [[ "$rs_tag" =~ ^v([0-9]+\.[0-9]+\.[0-9]+)$ ]] \
    || { echo "LIBREALSENSE_FROM_PYPI=1 needs a tag vX.Y.Z, not $rs_tag" >&2; exit 1; }
  echo "LIBREALSENSE_FROM_PYPI=1 (test/proof install, not a Pi): pyrealsense2 ${BASH_REMATCH[1]} from PyPI," \
    "librealsense not built"
  "$VENV/bin/python" -m pip install -q "pyrealsense2==${BASH_REMATCH[1]}.*"
elif [ "$(uname -m)" != aarch64 ]; then
  echo "not aarch64: pyrealsense2 comes from Intel's PyPI wheel with the kiosk (step 4)" \
    "(LIBREALSENSE_FROM_PYPI=1 pins it to librealsense $rs_tag)"
elif [ "${REBUILD_LIBREALSENSE:-0}" = 1 ]; then
  build="REBUILD_LIBREALSENSE=1: building librealsense $rs_tag"
elif ! "$VENV/bin/python" -c 'import pyrealsense2' 2>/dev/null; then
  build="no pyrealsense2 in $VENV: building librealsense $rs_tag"
elif [ ! -e "$rs_stamp" ]; then
  # Built by an installer that did not record the version: kept, as before.
  echo "pyrealsense2 already in $VENV (version not recorded), not rebuilding" \
    "(REBUILD_LIBREALSENSE=1 builds $rs_tag)"
elif [ "$(stamp_get state)" != installed ]; then
  build="the librealsense build of an earlier run did not finish: building $rs_tag"
elif [ "$(stamp_get tag)" != "$rs_tag" ]; then
  build="pyrealsense2 in $VENV is librealsense $(stamp_get tag), $rs_tag wanted: building it"
else
  echo "pyrealsense2 (librealsense $rs_tag) already in $VENV, not rebuilding" \
    "(REBUILD_LIBREALSENSE=1 forces it)"
fi
if [ -n "$build" ]; then
  echo "$build"
  LIBREALSENSE_TAG="$rs_tag" bash "$BUILD_SH" "$VENV"
fi

say "4/8 the kiosk into $VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
# A regular (not editable) install: the service must not depend on this checkout staying put.
# --upgrade reinstalls the project from the checkout even when its version is unchanged.
# Base dependencies only: never the `sim` extra (Open3D). The `club-sync` extra (psycopg) when
# CLUB_SYNC=1 or the kiosk.toml already syncs ([results] sync_to); the `reports` extra
# (matplotlib: over the 350 MB budget, so only when asked) when REPORTS=1.
extras=""
if [ "${CLUB_SYNC:-0}" = 1 ] \
  || grep -Eq '^[[:space:]]*sync_to[[:space:]]*=[[:space:]]*"[^"]+"' "$ETC_DIR/kiosk.toml" 2>/dev/null; then
  extras="club-sync"
fi
if [ "${REPORTS:-0}" = 1 ]; then
  extras="${extras:+$extras,}reports"
fi
kiosk_req="$REPO_DIR${extras:+[$extras]}"
"$VENV/bin/python" -m pip install -q --upgrade "$kiosk_req"
# The unit's Documentation= points here.
install -d -m 0755 "$PREFIX/docs"
install -m 0644 "$REPO_DIR/docs/install-pi.md" "$REPO_DIR/docs/placement.md" "$PREFIX/docs/"

say "5/8 udev rule for the RealSense"
install -m 0644 "$REPO_DIR/hardware/udev/99-realsense.rules" "$ROOT/etc/udev/rules.d/99-realsense.rules"
if [ "$booted" = 1 ]; then
  udevadm control --reload
  # Apply to a camera that is already plugged in (group plugdev, autosuspend off).
  udevadm trigger --subsystem-match=usb --action=change
else
  echo "udev is not running: the rule applies from the next boot"
fi

say "6/8 configuration in $ETC_DIR"
install -d -m 0755 "$ETC_DIR"
# Root-owned, readable by the service's group only: it holds the operator PIN's hash.
install -m 0640 -g "$SVC_USER" "$REPO_DIR/hardware/pi/kiosk.toml.example" "$ETC_DIR/kiosk.toml.example"
if [ -e "$ETC_DIR/kiosk.toml" ]; then
  echo "kept the existing $ETC_DIR/kiosk.toml (compare with kiosk.toml.example for new keys)"
else
  install -m 0640 -g "$SVC_USER" "$REPO_DIR/hardware/pi/kiosk.toml.example" "$ETC_DIR/kiosk.toml"
  echo "wrote $ETC_DIR/kiosk.toml"
fi
# Root-owned and readable by the service's group only, also when an older install left it
# otherwise: it holds the PIN's hash. (The unit reads it; it has no reason to write it.)
chown "root:$SVC_USER" "$ETC_DIR/kiosk.toml"
chmod 0640 "$ETC_DIR/kiosk.toml"
# The operator PIN: never a published default. Only its salted hash goes into kiosk.toml
# ([operator] pin_hash, made by the kiosk's own `hinge-kiosk run --hash-pin`). Set when
# kiosk.toml has none (a fresh install, or an older one), or with CHANGE_OPERATOR_PIN=1:
# OPERATOR_PIN when given, else asked twice on a terminal (hidden), else (or when left
# empty) a random one, shown here once. A PIN already set is kept.
pin_line='^[[:space:]]*pin_hash[[:space:]]*='
if grep -Eq "$pin_line"'[[:space:]]*"[^"]+"' "$ETC_DIR/kiosk.toml" && [ "$change_pin" != 1 ]; then
  echo "operator PIN already set in $ETC_DIR/kiosk.toml, kept (CHANGE_OPERATOR_PIN=1 sets a new one)"
  [ -z "$operator_pin" ] || echo "OPERATOR_PIN not used: a PIN is already set (CHANGE_OPERATOR_PIN=1 replaces it)"
else
  pin="$operator_pin"
  if [ -z "$pin" ] && [ -t 0 ]; then
    while :; do
      read -r -s -p "Operator PIN for the kiosk's menu (3-8 digits; Enter: a random one): " pin; echo
      [ -z "$pin" ] && break
      read -r -s -p "Again: " again; echo
      if [ "$pin" != "$again" ]; then echo "the two PINs differ; again" >&2; continue; fi
      [[ "$pin" =~ ^[0-9]{3,8}$ ]] && break
      echo "a PIN is 3-8 digits; again" >&2
    done
  fi
  shown=""
  if [ -z "$pin" ]; then
    pin=$(printf '%06d' $(( $(od -An -N4 -tu4 /dev/urandom | tr -d ' ') % 1000000 )))
    shown=1
  fi
  # The PIN goes to the hasher on its standard input, never on a command line.
  hash=$(printf '%s\n' "$pin" | "$VENV/bin/hinge-kiosk" run --hash-pin \
    | sed -n 's/^pin_hash = "\(.*\)"$/\1/p') || hash=""
  [[ "$hash" =~ ^[a-z0-9_]+\$[0-9]+\$[0-9a-f]+\$[0-9a-f]+$ ]] \
    || { echo "could not hash the operator PIN" >&2; exit 1; }
  if grep -Eq "$pin_line" "$ETC_DIR/kiosk.toml"; then
    sed -i "s|^\([[:space:]]*pin_hash[[:space:]]*=[[:space:]]*\)\"[^\"]*\"|\1\"$hash\"|" "$ETC_DIR/kiosk.toml"
  elif grep -Eq '^[[:space:]]*\[operator\]' "$ETC_DIR/kiosk.toml"; then
    sed -i "/^[[:space:]]*\[operator\]/a pin_hash = \"$hash\"" "$ETC_DIR/kiosk.toml"
  else
    printf '\n[operator]\npin_hash = "%s"\n' "$hash" >> "$ETC_DIR/kiosk.toml"
  fi
  if [ -n "$shown" ]; then
    echo "operator PIN: $pin  (shown only now: write it down; change it with"
    echo "  sudo CHANGE_OPERATOR_PIN=1 hardware/pi/install.sh)"
  else
    echo "operator PIN set"
  fi
  unset pin again hash
fi
unset operator_pin

say "7/8 memory cgroup (for MemoryMax= in the unit)"
# The Raspberry Pi kernel ships with the memory controller off; without it the unit's
# MemoryHigh/MemoryMax are silently ignored and a leak would take the Pi into swap.
if grep -qw memory "$ROOT/sys/fs/cgroup/cgroup.controllers" 2>/dev/null; then
  echo "memory controller already on"
else
  cmdline="$ROOT/boot/firmware/cmdline.txt"
  [ -e "$cmdline" ] || cmdline="$ROOT/boot/cmdline.txt"
  if [ ! -e "$cmdline" ]; then
    echo "warning: no $cmdline; add cgroup_enable=memory to the kernel command line by hand" >&2
  elif grep -qw 'cgroup_enable=memory' "$cmdline"; then
    echo "cgroup_enable=memory already in $cmdline (reboot pending)"
    reboot_needed=1
  else
    cp -a "$cmdline" "$cmdline.hinge-kiosk.bak"
    # cmdline.txt is a single line; append to it rather than adding a second line.
    sed -i '1 s/[[:space:]]*$/ cgroup_enable=memory/' "$cmdline"
    echo "added cgroup_enable=memory to $cmdline (backup: $cmdline.hinge-kiosk.bak)"
    reboot_needed=1
  fi
fi

say "8/8 systemd units $UNIT, $FALLBACK_UNIT"
install -m 0644 "$REPO_DIR/systemd/$UNIT" "$ROOT/etc/systemd/system/$UNIT"
# Not enabled (it has no [Install]): the kiosk's OnFailure= starts it.
install -m 0644 "$REPO_DIR/systemd/$FALLBACK_UNIT" "$ROOT/etc/systemd/system/$FALLBACK_UNIT"
# systemd >= 254 runs OnFailure= between automatic restarts too, unless RestartMode=direct
# (a key 252, bookworm's systemd, does not know): the drop-in only where it is understood.
dropin_dir="$ROOT/etc/systemd/system/$UNIT.d"
systemd_version=$(systemctl --version 2>/dev/null | sed -n '1 s/^systemd \([0-9][0-9]*\).*/\1/p')
if [ "${systemd_version:-0}" -ge 254 ]; then
  install -d -m 0755 "$dropin_dir"
  install -m 0644 "$REPO_DIR/systemd/$UNIT.d/restart-mode-direct.conf" "$dropin_dir/restart-mode-direct.conf"
else
  rm -f "$dropin_dir/restart-mode-direct.conf"
fi
[ "$booted" = 0 ] || systemctl daemon-reload
# The kiosk owns tty1 and the screen: no login prompt on it. Another console stays on
# Ctrl+Alt+F2 (when the kiosk is stopped) and over ssh. Run from tty1 itself, stopping the
# getty now would pull the terminal out from under this script: then only at the next boot.
if [ "$booted" = 0 ]; then
  systemctl disable getty@tty1.service
elif [ "$(tty 2>/dev/null || true)" = /dev/tty1 ]; then
  systemctl disable getty@tty1.service
  reboot_needed=1
else
  systemctl disable --now getty@tty1.service
fi
systemctl enable "$UNIT"
if [ "$booted" = 0 ]; then
  echo "enabled $UNIT: it starts at the first boot"
elif systemctl is-active --quiet "$UNIT"; then
  # An update: run the new code now.
  systemctl restart "$UNIT"
  echo "restarted $UNIT"
elif systemctl is-active --quiet "$FALLBACK_UNIT"; then
  # The kiosk had given up and its notice is on the screen: an update is the fix, so try the
  # new code (clearing the restart limit first; starting the kiosk stops the notice).
  systemctl reset-failed "$UNIT"
  systemctl restart "$UNIT"
  echo "the kiosk had stopped; restarted $UNIT with the new code"
fi

cat <<EOF

hinge-kiosk installed (venv $VENV, config $ETC_DIR/kiosk.toml, data $STATE_DIR).

Next steps:
EOF
step=1
if [ "$reboot_needed" = 1 ]; then
  echo "  $step. Reboot (kernel command line or console change):  sudo reboot"
  step=$((step + 1))
fi
cat <<EOF
  $step. Place the camera (docs/placement.md), then calibrate with the station empty or one
     athlete standing in it. The camera serves one process at a time, so stop the kiosk first:
       sudo systemctl stop $UNIT
       sudo -u $SVC_USER $VENV/bin/hinge-kiosk calibrate --source live --out $STATE_DIR/calibration.json
     Read the problems it lists (distance, height, tilt) and move the camera until there are none.
  $((step + 1)). Check $ETC_DIR/kiosk.toml (units, sound, camera serial).
  $((step + 2)). Start the kiosk and watch it come up:
       sudo systemctl start $UNIT
       systemctl status $UNIT
       journalctl -u $UNIT -f
EOF
