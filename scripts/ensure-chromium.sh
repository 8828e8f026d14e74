#!/usr/bin/env bash
# Makes sure Debian's Chromium is at /usr/bin/chromium, for the browser tests. Idempotent;
# installing needs root. Test tools must use this binary: their own browser downloads fail here.
set -euo pipefail

if [[ ! -x /usr/bin/chromium ]]; then
  [[ $(id -u) == 0 ]] || { echo "ensure-chromium: need root to install chromium"; exit 1; }
  echo "ensure-chromium: installing Debian's chromium"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
fi
/usr/bin/chromium --version
