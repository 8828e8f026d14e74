#!/bin/sh
# Makes systemd see the unit; starting it is the administrator's choice:
#   systemctl enable --now diundashboard
set -e
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload >/dev/null || true
  # An upgrade restarts a running service on the new binary.
  if systemctl is-active --quiet diundashboard; then
    systemctl restart diundashboard || true
  fi
fi
