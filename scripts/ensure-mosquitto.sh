#!/usr/bin/env bash
# Installs Debian's mosquitto (the broker and mosquitto_passwd) when missing, for the test of
# the README's broker ACL in server/mqtt (TestREADMEMosquittoACL). The test runs its own broker
# on a free loopback port; nothing is started here. Idempotent; installing needs root.
set -euo pipefail

say() { echo "ensure-mosquitto: $*"; }
if { command -v mosquitto || [[ -x /usr/sbin/mosquitto ]]; } >/dev/null && command -v mosquitto_passwd >/dev/null; then
  exit 0
fi
[[ $(id -u) == 0 ]] || { say "mosquitto is missing and installing it needs root"; exit 1; }
say "installing mosquitto"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mosquitto
