#!/usr/bin/env bash
# The Pi install path proved as far as it goes without a Pi: hardware/pi/install.sh runs in a
# fresh Debian bookworm root (debootstrap, x86_64, chroot), with LIBREALSENSE_FROM_PYPI=1 (Intel's
# PyPI wheel instead of the 45-90 min librealsense build, which only a Pi does), then checks what
# it left: the venv imports the kiosk and pyrealsense2 (and not Open3D), the unit is enabled,
# getty@tty1 is not, `systemd-analyze verify` prints nothing for the installed units, the
# config and operator PIN, the kernel command line; then a second run (an update) changes none
# of that. Prints a summary (also in $PROOF_DIR/summary.txt). See docs/install-pi.md, "What has
# run where".
#
# Usage (as root, x86_64, network to a Debian mirror and PyPI):  make install-proof
#                                                  or:  hardware/pi/install_proof.sh
# Not in `make test`: ~5-10 min, most of it downloads (cached for the next run).
#
# Env: PROOF_DIR    work folder (default /var/tmp/hinge-kiosk-proof): root/ is the chroot,
#                   made afresh on every run and removed after a passing one (kept after a
#                   failure, or with PROOF_KEEP=1); install-1.log, install-2.log, summary.txt
#      PROOF_CACHE  downloads kept between runs (default /var/cache/hinge-kiosk-proof): the
#                   debootstrapped base root as a tarball, apt's .debs, pip's cache
#      PROOF_REF    the commit (or tree) whose files are installed (default HEAD: `git archive`,
#                   a clean clone's files, never the work tree's .venv or uncommitted edits)
#      DEBIAN_MIRROR  default http://deb.debian.org/debian
#      PROOF_CA_BUNDLE  a CA bundle for pip in the chroot (default: $PIP_CERT when it names a
#                   file): behind a TLS-intercepting proxy, as where this was written, PyPI's
#                   certificate is the proxy's and the chroot's own CAs refuse it
#
# What the chroot is not (said in the summary too): not a Pi (x86_64, no librealsense build, no
# camera, no KMSDRM display), and not booted: systemd is not PID 1 in it, so nothing is started;
# systemctl and udevadm see the chroot and do their offline part (enable/disable) only.
# shellcheck disable=SC2317  # (whole file) the check functions are called through check()
set -euo pipefail

REPO_DIR="$(cd "$(dirname "$0")/../.." && pwd)"
PROOF_DIR="${PROOF_DIR:-/var/tmp/hinge-kiosk-proof}"
PROOF_DIR="${PROOF_DIR%/}"
PROOF_CACHE="${PROOF_CACHE:-/var/cache/hinge-kiosk-proof}"
PROOF_CACHE="${PROOF_CACHE%/}"
PROOF_REF="${PROOF_REF:-HEAD}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
CA_BUNDLE="${PROOF_CA_BUNDLE:-${PIP_CERT:-}}"
[ -z "$CA_BUNDLE" ] || [ -f "$CA_BUNDLE" ] || die "PROOF_CA_BUNDLE/PIP_CERT '$CA_BUNDLE' is no file"
SUITE=bookworm
BASE_TAR="$PROOF_CACHE/$SUITE-amd64-base.tar"
ROOTFS="$PROOF_DIR/root"
# Where the checkout goes in the chroot: docs/install-pi.md clones to ~/hinge-kiosk.
CHECKOUT=/home/pi/hinge-kiosk
UNIT=hinge-kiosk.service
FALLBACK_UNIT=hinge-kiosk-fallback.service
# The stand-in for Raspberry Pi OS's /boot/firmware/cmdline.txt (step 7 of the installer edits it).
CMDLINE="console=serial0,115200 console=tty1 root=PARTUUID=4e639091-02 rootfstype=ext4 fsck.repair=yes rootwait"

die() { echo "install_proof.sh: $*" >&2; exit 1; }
say() { printf '\n=== %s\n' "$*"; }

[ "$(id -u)" = 0 ] || die "run as root (debootstrap, chroot and mounts need it)"
[ "$(uname -m)" = x86_64 ] || die "x86_64 only: the PyPI pyrealsense2 wheel the proof installs is x86_64's"
for t in debootstrap chroot git tar mount umount findmnt; do
  command -v "$t" >/dev/null || die "$t not found (apt-get install -y debootstrap)"
done
case "$PROOF_DIR" in
  /*/*) ;;
  *) die "PROOF_DIR='$PROOF_DIR' must be an absolute path below / (its root/ is removed)" ;;
esac
case "$PROOF_CACHE" in
  /*/*) ;;
  *) die "PROOF_CACHE='$PROOF_CACHE' must be an absolute path below /" ;;
esac
tree=$(git -C "$REPO_DIR" rev-parse --verify -q "$PROOF_REF^{tree}") \
  || die "PROOF_REF='$PROOF_REF' is no commit or tree of $REPO_DIR"

# --- mounts: every one recorded, all undone on exit (also on failure or Ctrl+C) ----------------
mounts=()
# Everything mounted at or below $1, deepest first (also what an earlier, killed run left).
mounts_below() { findmnt -rn -o TARGET | awk -v p="$1" '$0 == p || index($0, p "/") == 1' | sort -r; }
unmount_below() {
  local m
  for m in $(mounts_below "$1"); do
    umount "$m" 2>/dev/null || umount -l "$m" || echo "install_proof.sh: could not unmount $m" >&2
  done
}
cleanup() {
  local i
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
    umount "${mounts[i]}" 2>/dev/null || umount -l "${mounts[i]}" 2>/dev/null \
      || echo "install_proof.sh: could not unmount ${mounts[i]}" >&2
  done
  mounts=()
  [ ! -d "$ROOTFS" ] || unmount_below "$ROOTFS"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
mnt() {  # mnt TARGET MOUNT-ARGS...
  local target=$1
  shift
  mkdir -p "$target"
  mount "$@" "$target"
  mounts+=("$target")
}
# rm -rf of a folder a chroot used: never while anything is mounted below it (a bound /dev or
# /proc would be emptied through it), and never across filesystems.
remove_tree() {
  [ -e "$1" ] || return 0
  unmount_below "$1"
  [ -z "$(mounts_below "$1")" ] || die "still mounted below $1: $(mounts_below "$1" | tr '\n' ' ')"
  rm -rf --one-file-system "$1"
}

start=$(date +%s)
mkdir -p "$PROOF_DIR" "$PROOF_CACHE/apt-archives/partial" "$PROOF_CACHE/pip"

# --- 1. the base root: debootstrap once, a tarball afterwards ---------------------------------
say "1. Debian $SUITE base root"
if [ -f "$BASE_TAR" ]; then
  echo "cached: $BASE_TAR ($(du -sm "$BASE_TAR" | cut -f1) MB; delete it for a new debootstrap)"
else
  t0=$(date +%s)
  partial="$PROOF_CACHE/base.partial"
  remove_tree "$partial"
  # The default variant (Priority required + important: systemd, udev, apt, ...), as close to
  # Raspberry Pi OS Lite as Debian's own packages get.
  debootstrap --arch=amd64 "$SUITE" "$partial" "$MIRROR"
  unmount_below "$partial"  # debootstrap's own /proc, /sys if it left any
  rm -f "$partial"/var/cache/apt/archives/*.deb
  tar -C "$partial" --numeric-owner -cf "$BASE_TAR.partial" .
  mv "$BASE_TAR.partial" "$BASE_TAR"
  remove_tree "$partial"
  echo "debootstrap: $(($(date +%s) - t0)) s"
fi

# --- 2. a fresh root from it, made to look like a Pi's where the installer looks --------------
say "2. fresh root $ROOTFS"
remove_tree "$ROOTFS"
rm -f "$PROOF_DIR"/install-*.log "$PROOF_DIR/summary.txt"
mkdir -p "$ROOTFS"
tar -C "$ROOTFS" --numeric-owner -xpf "$BASE_TAR"
base_mb=$(du -sm --one-file-system "$ROOTFS" | cut -f1)
cp -L /etc/resolv.conf "$ROOTFS/etc/resolv.conf"
ca_env=()
if [ -n "$CA_BUNDLE" ]; then
  cp -L "$CA_BUNDLE" "$ROOTFS/etc/hinge-kiosk-proof-ca.crt"
  ca_env=(PIP_CERT=/etc/hinge-kiosk-proof-ca.crt)
  echo "pip in the chroot trusts $CA_BUNDLE (PIP_CERT)"
fi
# Nothing starts inside the chroot (package scripts ask invoke-rc.d, which asks this).
printf '#!/bin/sh\nexit 101\n' > "$ROOTFS/usr/sbin/policy-rc.d"
chmod 0755 "$ROOTFS/usr/sbin/policy-rc.d"
mkdir -p "$ROOTFS/boot/firmware"
echo "$CMDLINE" > "$ROOTFS/boot/firmware/cmdline.txt"
mkdir -p "$ROOTFS$CHECKOUT"
git -C "$REPO_DIR" archive --format=tar "$tree" | tar -C "$ROOTFS$CHECKOUT" -xf -
commit=$(git -C "$REPO_DIR" rev-parse --verify -q "$PROOF_REF^{commit}" || echo "tree $tree")
echo "checkout: $PROOF_REF ($commit) at $CHECKOUT"

mnt "$ROOTFS/proc" -t proc proc
mnt "$ROOTFS/sys" -t sysfs -o ro sysfs
mnt "$ROOTFS/dev" --bind /dev
# A booted system's /dev/shm (the kiosk's capture process shares frames through it); the bind
# above does not carry the host's.
mnt "$ROOTFS/dev/shm" -t tmpfs -o mode=1777,nosuid,nodev shm
mnt "$ROOTFS/var/cache/apt/archives" --bind "$PROOF_CACHE/apt-archives"
mnt "$ROOTFS/root/.cache/pip" --bind "$PROOF_CACHE/pip"

# A command in the chroot with a clean environment (nothing of this shell's: no PIP_*, no venv).
in_root() {
  chroot "$ROOTFS" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root LANG=C.UTF-8 TERM=dumb "${ca_env[@]}" "$@"
}

# --- 3. the installer, twice ------------------------------------------------------------------
# No terminal and no OPERATOR_PIN: the installer picks a random PIN and shows it once.
run_installer() {  # $1: run number
  local log="$PROOF_DIR/install-$1.log" t0 rc=0
  t0=$(date +%s)
  in_root LIBREALSENSE_FROM_PYPI=1 bash "$CHECKOUT/hardware/pi/install.sh" </dev/null 2>&1 \
    | tee "$log" || rc=$?
  install_s[$1]=$(($(date +%s) - t0))
  install_rc[$1]=$rc
}
install_s=()
install_rc=()
say "3. install.sh in the chroot (LIBREALSENSE_FROM_PYPI=1), first run"
run_installer 1

# --- 4. checks ------------------------------------------------------------------------------
results=()
failed=0
check() {  # check NAME COMMAND...: runs it, records PASS/FAIL with its output on failure
  local name=$1 out
  shift
  if out=$("$@" 2>&1); then
    results+=("PASS  $name")
  else
    results+=("FAIL  $name")
    failed=1
    printf 'FAIL %s:\n%s\n' "$name" "$out" >&2
  fi
}
VENV=/opt/hinge-kiosk/venv
rs_tag=$(sed -n 's/^DEFAULT_LIBREALSENSE_TAG=v//p' "$ROOTFS$CHECKOUT/hardware/pi/build_librealsense.sh")
imports() {
  in_root "$VENV/bin/python" -c '
import sys
import calibration.calibrate, kiosk, kiosk.cli.root, pyrealsense2 as rs
v = rs.__version__
print("pyrealsense2", v, "devices:", len(rs.context().query_devices()))
ok = v == sys.argv[1] or v.startswith(sys.argv[1] + ".")
sys.exit(0 if ok else "pyrealsense2 %s, wanted %s" % (v, sys.argv[1]))
' "$rs_tag"
}
no_open3d() { ! in_root "$VENV/bin/python" -c 'import open3d' 2>/dev/null; }
cli_runs() { in_root "$VENV/bin/hinge-kiosk" --help >/dev/null; }
is_enabled() {  # unit wanted-state: the installed system's systemctl, offline
  local got
  got=$(in_root systemctl is-enabled "$1" 2>&1) || true
  [ "$got" = "$2" ] || { echo "systemctl is-enabled $1: '$got', wanted '$2'"; return 1; }
}
enabled_link() { [ -L "$ROOTFS/etc/systemd/system/multi-user.target.wants/$UNIT" ]; }
no_getty_link() { [ ! -e "$ROOTFS/etc/systemd/system/getty.target.wants/getty@tty1.service" ]; }
# verify prints nothing for units that are right: any output is a failure (exit status is 0 for
# "Unknown key ... ignoring", as tests/test_systemd_unit.py notes). Inside the chroot: the
# installed files, bookworm's systemd (252), the real ExecStart= binaries in the venv.
verify() {
  local out
  out=$(in_root SYSTEMD_LOG_COLOR=0 systemd-analyze verify \
    "/etc/systemd/system/$UNIT" "/etc/systemd/system/$FALLBACK_UNIT" 2>&1) || { echo "$out"; return 1; }
  [ -z "$out" ] || { echo "$out"; return 1; }
}
user_groups() {
  local g
  g=$(in_root id -nG hinge-kiosk)
  for want in hinge-kiosk video render input plugdev audio; do
    [[ " $g " == *" $want "* ]] || { echo "hinge-kiosk groups: $g (no $want)"; return 1; }
  done
}
config_mode() {
  local m
  m=$(in_root stat -c '%U:%G %a' /etc/hinge-kiosk/kiosk.toml)
  [ "$m" = "root:hinge-kiosk 640" ] || { echo "kiosk.toml is $m"; return 1; }
}
pin_hash() {
  sed -n 's/^[[:space:]]*pin_hash[[:space:]]*=[[:space:]]*"\(.*\)"$/\1/p' "$ROOTFS/etc/hinge-kiosk/kiosk.toml" 2>/dev/null || true
}
pin_verifies() {
  local pin
  pin=$(sed -n 's/^operator PIN: \([0-9]*\) .*/\1/p' "$PROOF_DIR/install-1.log")
  [ -n "$pin" ] || { echo "no 'operator PIN:' line in install-1.log"; return 1; }
  in_root "$VENV/bin/python" -c '
import sys
from kiosk.app.operator import verify_pin
sys.exit(0 if verify_pin(sys.argv[1], sys.argv[2]) else "the shown PIN does not verify")
' "$pin" "$(pin_hash)"
}
cmdline_memory() { grep -qw 'cgroup_enable=memory' "$ROOTFS/boot/firmware/cmdline.txt"; }
udev_rule() { cmp "$ROOTFS$CHECKOUT/hardware/udev/99-realsense.rules" "$ROOTFS/etc/udev/rules.d/99-realsense.rules"; }
state_dir() {
  local m
  m=$(in_root stat -c '%U %a' /var/lib/hinge-kiosk)
  [ "$m" = "hinge-kiosk 700" ] || { echo "/var/lib/hinge-kiosk is $m"; return 1; }
}
# The installed kiosk as its service would run it (user, config, working directory; SDL's dummy
# drivers for the absent screen and sound): with no camera it shows the no-camera screen and
# stops after --frames. And the staff notice the fallback unit draws.
as_service() {
  in_root runuser -u hinge-kiosk -- env SDL_VIDEODRIVER=dummy SDL_AUDIODRIVER=dummy \
    XDG_CACHE_HOME=/tmp/hinge-kiosk-cache PYGAME_HIDE_SUPPORT_PROMPT=1 \
    sh -c 'cd /var/lib/hinge-kiosk && exec "$@"' sh "$@"
}
kiosk_runs() {
  rm -rf "$ROOTFS/tmp/proof-shots"
  as_service timeout 300 "$VENV/bin/hinge-kiosk" run --config /etc/hinge-kiosk/kiosk.toml --frames 60 \
    --screenshot-dir /tmp/proof-shots || return 1
  compgen -G "$ROOTFS/tmp/proof-shots/*status-no-camera*.png" >/dev/null \
    || { echo "no status-no-camera screenshot: $(ls "$ROOTFS/tmp/proof-shots")"; return 1; }
}
fallback_draws() {
  rm -f "$ROOTFS/tmp/proof-fallback.png"
  as_service timeout 120 "$VENV/bin/python" -m kiosk.fallback_screen --unit "$UNIT" --once \
    --screenshot /tmp/proof-fallback.png || return 1
  [ -s "$ROOTFS/tmp/proof-fallback.png" ] || { echo "no screenshot of the notice"; return 1; }
}
exit_ok() { [ "${install_rc[$1]}" = 0 ] || { echo "exit status ${install_rc[$1]}"; return 1; }; }
no_build() { ! grep -q 'building librealsense' "$PROOF_DIR/install-$1.log"; }

say "4. checks"
check "install.sh exits 0 (first run, ${install_s[1]} s)" exit_ok 1
check "no librealsense build: pyrealsense2 from PyPI (LIBREALSENSE_FROM_PYPI=1)" no_build 1
check "venv imports kiosk, calibration and pyrealsense2 $rs_tag.*; a context opens" imports
check "venv has no Open3D (base install only)" no_open3d
check "hinge-kiosk --help runs" cli_runs
check "the kiosk runs as hinge-kiosk with the installed config: no-camera screen, exits 0" kiosk_runs
check "the fallback notice draws as hinge-kiosk (python -m kiosk.fallback_screen --once)" fallback_draws
check "user hinge-kiosk in video render input plugdev audio" user_groups
check "/var/lib/hinge-kiosk: hinge-kiosk, 0700" state_dir
check "kiosk.toml root:hinge-kiosk 0640" config_mode
check "the operator PIN shown once verifies against kiosk.toml's hash" pin_verifies
check "udev rule installed" udev_rule
check "cgroup_enable=memory added to /boot/firmware/cmdline.txt" cmdline_memory
check "$UNIT enabled (systemctl is-enabled)" is_enabled "$UNIT" enabled
check "$UNIT enabled (multi-user.target.wants symlink)" enabled_link
check "$FALLBACK_UNIT installed, static (started by OnFailure= only)" is_enabled "$FALLBACK_UNIT" static
check "getty@tty1 disabled (no getty.target.wants symlink)" no_getty_link
check "systemd-analyze verify of both installed units prints nothing" verify

if [ "${install_rc[1]}" = 0 ]; then
  say "5. install.sh again (an update)"
  hash1=$(pin_hash)
  cmdline1=$(cat "$ROOTFS/boot/firmware/cmdline.txt")
  # As a `git pull` would: a change in the checkout must reach the venv on the next run.
  marker="# install-proof update marker $(date +%s%N)"
  echo "$marker" >> "$ROOTFS$CHECKOUT/kiosk/__init__.py"
  run_installer 2
  updated() {
    local site
    site=$(in_root "$VENV/bin/python" -c 'import kiosk, os; print(os.path.dirname(kiosk.__file__))')
    grep -qxF "$marker" "$ROOTFS$site/__init__.py" || { echo "$site/__init__.py is the old one"; return 1; }
  }
  same_pin() { [ "$(pin_hash)" = "$hash1" ] && grep -q 'operator PIN already set' "$PROOF_DIR/install-2.log"; }
  same_cmdline() { [ "$(cat "$ROOTFS/boot/firmware/cmdline.txt")" = "$cmdline1" ]; }
  check "install.sh exits 0 (second run, ${install_s[2]} s)" exit_ok 2
  check "second run installs the checkout's changed code into the venv" updated
  check "second run keeps the PIN" same_pin
  check "second run leaves cmdline.txt as it was" same_cmdline
  check "$UNIT still enabled" is_enabled "$UNIT" enabled
  check "venv still imports kiosk and pyrealsense2" imports
  check "systemd-analyze verify still prints nothing" verify
else
  results+=("SKIP  second run (the first failed)")
  install_s[2]="-"
fi

# --- 5. summary -----------------------------------------------------------------------------
cleanup  # sizes without the bound caches (same filesystem: du would count them)
venv_mb=$(du -sm "$ROOTFS$VENV" 2>/dev/null | cut -f1) || venv_mb="?"
root_mb=$(du -sm --one-file-system "$ROOTFS" | cut -f1)
{
  echo "hinge-kiosk install proof, $(date -u +%Y-%m-%dT%H:%MZ), $(uname -m), Debian $SUITE chroot"
  echo "checkout: $PROOF_REF ($commit)"
  echo "installer: first run ${install_s[1]} s, second run ${install_s[2]} s; whole proof $(($(date +%s) - start)) s"
  echo "sizes: venv $venv_mb MB; root $root_mb MB (base $base_mb MB, so the install added $((root_mb - base_mb)) MB)"
  printf '%s\n' "${results[@]}"
  echo "not proved here: the librealsense build (aarch64 only), a camera, the KMSDRM display, a boot"
  echo "(systemd is not PID 1 in a chroot: nothing was started), a Raspberry Pi kernel."
} | tee "$PROOF_DIR/summary.txt"

if [ "$failed" = 0 ] && [ "${PROOF_KEEP:-0}" != 1 ]; then
  remove_tree "$ROOTFS"
  echo "passed; the root was removed (PROOF_KEEP=1 keeps it); logs in $PROOF_DIR"
elif [ "$failed" = 0 ]; then
  echo "passed; the root is kept in $ROOTFS"
else
  echo "FAILED; the root is kept in $ROOTFS for a look (chroot $ROOTFS), logs in $PROOF_DIR" >&2
fi
exit "$failed"
