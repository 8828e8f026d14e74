#!/usr/bin/env bash
# `make release-repro VERSION=vX.Y.Z`: runs the release again in a fresh clone of the commit
# dist/ was built from, for the same targets, and fails unless it gives the same checksums.txt and
# image digest as dist/ (run `make release` first, with the same VERSION).
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -f dist/checksums.txt ]] || { echo "release-repro: run make release first" >&2; exit 1; }
clone=$(mktemp -d)
trap 'rm -rf "$clone"' EXIT
# The commit dist/ was built from, which HEAD may since have left.
commit=$(jq -r .predicate.buildDefinition.externalParameters.source.digest.gitCommit dist/provenance.intoto.json)
targets=$(jq -r '.predicate.buildDefinition.externalParameters.targets | join(" ")' dist/provenance.intoto.json)
git clone -q --no-local . "$clone/src"
git -C "$clone/src" checkout -q "$commit"
mkdir -p "$clone/src/bin"
cp bin/ocibuild bin/nfpm bin/cyclonedx-gomod "$clone/src/bin/"
# The same signing key, for the same allowed_signers (the signature is not compared).
[[ -f bin/release-signing-key ]] && cp bin/release-signing-key* "$clone/src/bin/"
(cd "$clone/src" && TARGETS=$targets scripts/release.sh > "$clone/release.log" 2>&1) || { tail -20 "$clone/release.log"; exit 1; }
rc=0
if cmp -s dist/checksums.txt "$clone/src/dist/checksums.txt"; then echo "checksums.txt: identical ($(wc -l < dist/checksums.txt) files)"
else echo "checksums.txt differs:"; diff dist/checksums.txt "$clone/src/dist/checksums.txt" || true; rc=1; fi
a=$(cat dist/image-digest.txt 2>/dev/null || true) b=$(cat "$clone/src/dist/image-digest.txt" 2>/dev/null || true)
if [[ $a == "$b" ]]; then echo "image digest: identical ($a)"; else echo "image digest differs: $a, then $b"; rc=1; fi
exit $rc
