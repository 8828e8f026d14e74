#!/usr/bin/env bash
# Builds mailpit (a real SMTP server with an HTTP API) into bin/mailpit, for the email test of
# server/notify. Idempotent. mailpit is a large module, so it is built from its own module
# graph with `go install`, never added to go.mod or tools/go.mod (whose sqlc it would upgrade).
set -euo pipefail

MAILPIT_VERSION=v1.33.1
cd "$(dirname "$0")/.."
if [[ -x bin/mailpit && -f bin/mailpit.version && $(cat bin/mailpit.version) == "$MAILPIT_VERSION" ]]; then
  exit 0
fi
echo "ensure-mailpit: building github.com/axllent/mailpit@$MAILPIT_VERSION into bin/ (about a minute)"
mkdir -p bin
GOBIN="$PWD/bin" CGO_ENABLED=0 go install "github.com/axllent/mailpit@$MAILPIT_VERSION"
echo "$MAILPIT_VERSION" > bin/mailpit.version
