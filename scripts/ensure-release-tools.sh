#!/usr/bin/env bash
# Installs what `make release-check` needs and does not build itself: lintian and rpm (to
# inspect the packages), Debian's CA bundle (copied into the image) and qemu-user-static (to run
# the other platforms' images). Idempotent; installing needs root.
#
# qemu-user-static is unpacked into bin/qemu/ with `apt-get download` + `dpkg -x`, not installed:
# installing it would register binfmt handlers on the host, and the check calls qemu by name.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v lintian >/dev/null || missing+=(lintian)
command -v rpm >/dev/null || missing+=(rpm)
[[ -f /etc/ssl/certs/ca-certificates.crt ]] || missing+=(ca-certificates)
if ((${#missing[@]})); then
  [[ $(id -u) == 0 ]] || { echo "ensure-release-tools: need root to install ${missing[*]}"; exit 1; }
  echo "ensure-release-tools: installing ${missing[*]}"
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [[ ! -x bin/qemu/usr/bin/qemu-aarch64-static ]]; then
  echo "ensure-release-tools: unpacking qemu-user-static into bin/qemu/"
  tmp=$(mktemp -d)
  chmod 755 "$tmp" # apt downloads as the _apt user
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && apt-get download -qq qemu-user-static)
  rm -rf bin/qemu
  mkdir -p bin/qemu
  dpkg -x "$tmp"/qemu-user-static_*.deb bin/qemu
fi
bin/qemu/usr/bin/qemu-aarch64-static --version | head -1
