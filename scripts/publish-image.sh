#!/usr/bin/env bash
# Publishes the OCI image index that `make release` wrote to dist/oci (and `make release-check`
# ran) to GHCR and, when its credentials are set, Docker Hub, under each tag given; then signs the
# index by digest with keyless cosign and attests the SBOM of the linux/amd64 binary to it.
# Run by .github/workflows on GitHub (it needs an OIDC token for keyless signing):
#   scripts/publish-image.sh 1.2.3 1.2 1 latest
#   scripts/publish-image.sh edge
# Environment: GHCR_TOKEN (required), GITHUB_REPOSITORY, GITHUB_ACTOR; DOCKERHUB_USERNAME and
# DOCKERHUB_TOKEN (optional). Tokens are read from the environment and passed on standard input,
# never on a command line.
set -euo pipefail
cd "$(dirname "$0")/.."

(($# > 0)) || { echo "usage: $0 TAG [TAG…]" >&2; exit 2; }
[[ -f dist/oci/index.json ]] || { echo "publish-image: no dist/oci/index.json: run make release first" >&2; exit 1; }
: "${GHCR_TOKEN:?publish-image: GHCR_TOKEN is not set}"
: "${GITHUB_REPOSITORY:?publish-image: GITHUB_REPOSITORY is not set}"

crane() { go run github.com/google/go-containerregistry/cmd/crane@v0.22.1 "$@"; }
cosign() { go run github.com/sigstore/cosign/v2/cmd/cosign@v2.6.5 "$@"; }

repos=("ghcr.io/${GITHUB_REPOSITORY,,}")
crane auth login ghcr.io -u "${GITHUB_ACTOR:-github-actions}" --password-stdin <<<"$GHCR_TOKEN"
if [[ -n ${DOCKERHUB_USERNAME:-} && -n ${DOCKERHUB_TOKEN:-} ]]; then
  repos+=("docker.io/${DOCKERHUB_USERNAME}/diundashboard")
  crane auth login index.docker.io -u "$DOCKERHUB_USERNAME" --password-stdin <<<"$DOCKERHUB_TOKEN"
fi

sbom=$(find dist -maxdepth 2 -name '*linux_amd64*.cdx.json' -o -maxdepth 2 -name '*linux_amd64*.spdx.json' | sort | head -n 1)
for repo in "${repos[@]}"; do
  first=$1
  # crane push --index pushes the layout's index with every platform's manifest, unchanged.
  digest=$(crane push --index dist/oci "$repo:$first")
  digest=${digest##*@}
  for tag in "${@:2}"; do crane tag "$repo@$digest" "$tag"; done
  echo "publish-image: $repo@$digest as $*"
  cosign sign --yes "$repo@$digest"
  if [[ -n $sbom ]]; then
    cosign attest --yes --type "$( [[ $sbom == *.cdx.json ]] && echo cyclonedx || echo spdxjson )" \
      --predicate "$sbom" "$repo@$digest"
  fi
done
