#!/usr/bin/env bash
# Fails when gen/ is not exactly what sqlc makes of sql/ and sqlc.yaml, and protoc of proto/. Run after `sqlc generate`
# (make check-generate does both): prints what differs.
set -euo pipefail
cd "$(dirname "$0")/.."
sqlc=$(realpath "${SQLC:-bin/sqlc}")
rc=0

# 1. After regenerating, gen/ must match what is committed, with nothing untracked in it.
if [[ -n $(git ls-files -- gen) ]]; then
  changes=$(git status --porcelain --untracked-files=all -- gen)
  if [[ -n $changes ]]; then
    echo "check-generate: gen/ differs from what is committed (run make generate, commit gen/):"
    echo "$changes"
    git --no-pager diff -- gen
    rc=1
  fi
else
  echo "check-generate: gen/ is not committed yet, so only the clean generation below is compared"
fi

# 2. sqlc never deletes a file, so a stray file left in gen/ (say, from a renamed query file)
#    survives step 1 once committed. Generate into an empty copy of the tree and compare.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git ls-files -z --cached --others --exclude-standard | grep -zv '^gen/' \
  | tar --null --files-from=- --ignore-failed-read -cf - | tar -xf - -C "$tmp"
(cd "$tmp" && "$sqlc" generate)
scripts/generate-proto.sh "$tmp"
if ! diff -ru gen "$tmp/gen"; then
  echo "check-generate: gen/ is not what sqlc and protoc generate into an empty directory (lines with - are in gen/ only)"
  rc=1
fi
exit $rc
