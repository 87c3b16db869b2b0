#!/usr/bin/env bash
# What `make test-arm64` needs to run the arm64 `bootstrap` on another machine: Debian's
# user-mode qemu (qemu-user-static: /usr/bin/qemu-aarch64-static) and the arm64 loader and
# C library (libc6-arm64-cross: /usr/aarch64-linux-gnu). Installs whichever is missing with
# apt-get (as root, or through passwordless sudo); exits 1 with a message saying what to install
# when it can't. It never skips: the arm64 zip is what Terraform deploys, and its test must run.
set -euo pipefail

QEMU=qemu-aarch64-static
SYSROOT=/usr/aarch64-linux-gnu
LOADER=$SYSROOT/lib/ld-linux-aarch64.so.1

missing() {
    local packages=()
    command -v "$QEMU" >/dev/null 2>&1 || packages+=(qemu-user-static)
    [[ -e $LOADER ]] || packages+=(libc6-arm64-cross)
    echo "${packages[*]}"
}

needed=$(missing)
if [[ -z $needed ]]; then
    echo "arm64 emulation: $(command -v "$QEMU") -L $SYSROOT"
    exit 0
fi

fail() {
    echo "make test-arm64: cannot install $needed: $1." >&2
    echo "  It needs $QEMU on PATH and the arm64 loader at $LOADER (Debian/Ubuntu packages:" >&2
    echo "  qemu-user-static libc6-arm64-cross). Install them, or their equivalents from your" >&2
    echo "  distribution, and run it again." >&2
    exit 1
}

command -v apt-get >/dev/null 2>&1 || fail "apt-get is not available on this machine"
sudo=()
if [[ $(id -u) != 0 ]]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        sudo=(sudo -n)
    else
        fail "installing packages needs root (or passwordless sudo)"
    fi
fi

echo "arm64 emulation: apt-get install $needed"
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086 # $needed is a list of package names
if ! "${sudo[@]}" apt-get install -y -q --no-install-recommends $needed; then
    # A fresh image has no package lists yet.
    "${sudo[@]}" apt-get update -q || fail "apt-get update failed"
    "${sudo[@]}" apt-get install -y -q --no-install-recommends $needed || fail "apt-get install failed"
fi

needed=$(missing)
[[ -z $needed ]] || fail "apt-get finished, but these are still missing"
echo "arm64 emulation: $(command -v "$QEMU") -L $SYSROOT"
