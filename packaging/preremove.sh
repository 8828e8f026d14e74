#!/bin/sh
# Stops the service before its binary goes (not on a Debian upgrade, whose postinst restarts it).
set -e
case "$1" in
  upgrade|1) exit 0 ;;
esac
if [ -d /run/systemd/system ]; then
  systemctl disable --now diundashboard >/dev/null 2>&1 || true
fi
