#!/usr/bin/env bash
# Prints the release's provenance: an in-toto statement (v1) with a SLSA provenance v1 predicate
# whose subjects are every file of dist/checksums.txt, checksums.txt itself and the image index.
# Called by scripts/release.sh, with its environment (VERSION, COMMIT, DATE, TARGETS,
# SOURCE_URL, BUILDER_ID). Nothing in it changes between two builds of a commit but BUILDER_ID.
set -euo pipefail
cd "$(dirname "$0")/../dist"
subjects=$( { cat checksums.txt; sha256sum checksums.txt; } | jq -R 'split("  ") | {name: .[1], digest: {sha256: .[0]}}' | jq -s .)
if [[ -f image-digest.txt ]]; then
  subjects=$(jq --arg d "$(cat image-digest.txt)" '. + [{name: "oci/index.json (image index)", digest: {sha256: ($d | ltrimstr("sha256:"))}}]' <<<"$subjects")
fi
jq -n --argjson subjects "$subjects" --arg version "$VERSION" --arg commit "$COMMIT" --arg date "$DATE" \
  --arg ca "$(sha256sum /etc/ssl/certs/ca-certificates.crt | cut -d' ' -f1)" \
  --arg ca_version "$(dpkg-query -W -f '${Version}' ca-certificates 2>/dev/null || echo unknown)" \
  --arg targets "$TARGETS" --arg source "$SOURCE_URL" --arg builder "$BUILDER_ID" --arg go "$(go env GOVERSION)" '{
  _type: "https://in-toto.io/Statement/v1",
  subject: $subjects,
  predicateType: "https://slsa.dev/provenance/v1",
  predicate: {
    buildDefinition: {
      buildType: ($source + "/blob/" + $commit + "/scripts/release.sh"),
      externalParameters: {version: $version, targets: ($targets | split(" ")), source: {uri: ("git+" + $source), digest: {gitCommit: $commit}}},
      internalParameters: {go: $go, cgo: false, flags: ["-trimpath", "-buildvcs=false", "-ldflags=-s -w -X main.version -X main.commit -X main.date"], sourceDateEpoch: $date},
      resolvedDependencies: [
        {uri: ("git+" + $source + "@" + $version), digest: {gitCommit: $commit}},
        {uri: ("pkg:deb/debian/ca-certificates@" + $ca_version), name: "/etc/ssl/certs/ca-certificates.crt (in the image)", digest: {sha256: $ca}}
      ]
    },
    runDetails: {builder: {id: $builder}, metadata: {invocationId: ($version + "@" + $commit)}}
  }
}'
