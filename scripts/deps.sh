#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Install, idempotently and only what is missing, every Debian package that
# building, running and testing Mica need.  Safe to run on every `make`.
set -euo pipefail

PKGS=(
  build-essential gcc make nasm binutils
  grub-pc-bin grub-common xorriso mtools
  qemu-system-x86
  python3 python3-pytest python3-pexpect
  libcmocka-dev
  libfdt-dev device-tree-compiler
  clang llvm libclang-rt-14-dev
  libxen-dev
  liburing-dev libjansson-dev liblzma-dev zlib1g-dev libzstd-dev
  busybox-static xz-utils cpio kmod
  gdb
)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "deps: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
