#!/usr/bin/env bash
# `make release VERSION=vX.Y.Z`: everything a release ships, into dist/, offline (the Go module
# proxy aside) and without a container engine:
#   diundashboard_<ver>_<os>_<arch><variant>.tar.gz (.zip for Windows)  binary, LICENSE, README, CHANGELOG
#   diundashboard_<ver>_<os>_<arch><variant>.sbom.cdx.json              CycloneDX SBOM of that binary
#   diundashboard_<ver>_<debarch>.deb, diundashboard-<ver>-1.<rpmarch>.rpm  with the systemd unit
#   oci/                        OCI image index (image platforms only), from the same binaries
#   checksums.txt               SHA-256 of every file above
#   checksums.txt.sig           SSH signature of checksums.txt (namespace diundashboard-release)
#   allowed_signers             the public key that verifies it (ssh-keygen -Y verify)
#   provenance.intoto.json      in-toto statement, SLSA provenance v1: what was built, from what
#   image-digest.txt            the OCI index's digest
# Every timestamp is the commit's (SOURCE_DATE_EPOCH), so a second run on a clean checkout of the
# same commit gives byte-identical files and the same image digest.
#
# Environment:
#   VERSION       vX.Y.Z[-pre] (required)
#   TARGETS       os/arch[/variant] list to build (default: all; a subset is for development and CI)
#   SIGNING_KEY   an OpenSSH ed25519 private key; without it, a local key in bin/ is made once
#                 (fine for checking, not for publishing)
#   SOURCE_URL    the repository URL recorded in the image labels and provenance
#   BUILDER_ID    who ran the build, for the provenance (CI sets its workflow URL)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/release-platforms.sh
source scripts/release-platforms.sh

die() { echo "release: $*" >&2; exit 1; }
VERSION=${VERSION:-}
[[ $VERSION =~ ^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.]+)?$ ]] || die "VERSION must be vX.Y.Z (or vX.Y.Z-rc.1), not '$VERSION': make release VERSION=v1.2.3"
ver=${VERSION#v}
# A final release says what changed; a pre-release (v1.2.3-rc.1) may come before its notes.
if [[ $VERSION != *-* ]] && ! grep -q "^## \[$ver\]" CHANGELOG.md; then
  die "CHANGELOG.md has no section '## [$ver]': move the Unreleased notes under it first"
fi
TARGETS=${TARGETS:-$ALL_TARGETS}
SOURCE_URL=${SOURCE_URL:-https://github.com/diundashboard/diundashboard}
BUILDER_ID=${BUILDER_ID:-local:$(id -un)@$(hostname)}
# Uncommitted changes would ship under a commit that does not hold them.
[[ -z $(git status --porcelain --untracked-files=no) ]] || die "the checkout has uncommitted changes; commit or stash them first"
COMMIT=$(git rev-parse HEAD)
SOURCE_DATE_EPOCH=$(git log -1 --format=%ct)
DATE=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)
export SOURCE_DATE_EPOCH TZ=UTC LC_ALL=C VERSION COMMIT DATE TARGETS SOURCE_URL BUILDER_ID
umask 022

step() { printf '== %s (%s)\n' "$*" "$(date -u +%H:%M:%S)"; }
stamp() { touch -h -d "@$SOURCE_DATE_EPOCH" "$@"; }
BIN=bin
OCIBUILD=$BIN/ocibuild NFPM=$BIN/nfpm CYCLONEDX=$BIN/cyclonedx-gomod
for tool in $OCIBUILD $NFPM $CYCLONEDX; do [[ -x $tool ]] || die "$tool is missing: run make release-tools"; done

rm -rf dist
mkdir -p dist/build
step "release $VERSION of $COMMIT ($DATE): $TARGETS"

# One binary per target, built once: the archive, the package and the image all take this file.
# -buildvcs=false: the commit is stamped with -X, and the bytes do not depend on whether .git is there.
for t in $TARGETS; do
  IFS=/ read -r os arch variant <<<"$t"
  exe=diundashboard; [[ $os == windows ]] && exe+=.exe
  out=dist/build/$(target_dir "$t")/$exe
  start=$(date +%s)
  CGO_ENABLED=0 GOOS=$os GOARCH=$arch GOARM=${variant#v} nice -n 10 go build -trimpath -buildvcs=false \
    -ldflags "-s -w -X main.version=$VERSION -X main.commit=$COMMIT -X main.date=$DATE" -o "$out" ./cmd/diundashboard
  echo "built $t in $(( $(date +%s) - start ))s"
done

step "archives and SBOMs"
for t in $TARGETS; do
  IFS=/ read -r os _ _ <<<"$t"
  dir=dist/build/$(target_dir "$t")
  name=diundashboard_${ver}_$(target_dir "$t")
  stage=dist/stage/$name
  mkdir -p "$stage"
  cp "$dir"/diundashboard* "$stage/"
  cp LICENSE README.md CHANGELOG.md "$stage/"
  chmod 0755 "$stage"/diundashboard*
  chmod 0644 "$stage"/{LICENSE,README.md,CHANGELOG.md}
  stamp "$stage" "$stage"/*
  if [[ $os == windows ]]; then
    (cd "$stage" && zip -q -X -D "../../$name.zip" ./*)
  else
    tar -C "$stage" --sort=name --owner=0 --group=0 --numeric-owner --format=gnu -cf - . | gzip -9 -n > "dist/$name.tar.gz"
  fi
  # The SBOM's modules are what `go version -m` reads from the binary (make release-check compares).
  $CYCLONEDX bin -json -std -noserial -notimestamp -version "$VERSION" -output "dist/$name.sbom.tmp" "$dir"/diundashboard*
  jq --arg t "$DATE" '.metadata.timestamp = $t' "dist/$name.sbom.tmp" > "dist/$name.sbom.cdx.json"
  rm "dist/$name.sbom.tmp"
done
rm -rf dist/stage

step "packages"
# Debian wants its own changelog in a package; the release notes are CHANGELOG.md.
mkdir -p dist/pkg
printf '%s\n' "diundashboard (${ver/-/\~}-1) stable; urgency=medium" "" \
  "  * Release $VERSION: see CHANGELOG.md in the release archives." "" \
  " -- The DiunDashboard authors <diundashboard@users.noreply.github.com>  $(date -u -d "@$SOURCE_DATE_EPOCH" -R)" \
  | gzip -9 -n > dist/pkg/changelog.Debian.gz
for t in $TARGETS; do
  deb=$(deb_arch "$t") || continue
  for packager in deb rpm; do
    arch=$deb; [[ $packager == rpm ]] && arch=$(rpm_arch "$t")
    # nfpm names the file the distribution's way: diundashboard_1.2.3_amd64.deb, diundashboard-1.2.3-1.x86_64.rpm.
    # packaging/nfpm.yaml takes the binary from dist/pkg/ (nfpm does not expand a variable there).
    cp "dist/build/$(target_dir "$t")/diundashboard" dist/pkg/diundashboard
    VERSION=$ver ARCH=$arch $NFPM package --config packaging/nfpm.yaml --packager $packager --target dist/ >/dev/null
  done
done

rm -rf dist/pkg

step "image"
images=()
for t in $IMAGE_PLATFORMS; do
  [[ " $TARGETS " == *" $t "* ]] && images+=("$t=dist/build/$(target_dir "$t")/diundashboard")
done
if ((${#images[@]})); then
  $OCIBUILD build -out dist/oci -version "$VERSION" -revision "$COMMIT" -created "$DATE" -source "$SOURCE_URL" \
    -ca /etc/ssl/certs/ca-certificates.crt "${images[@]}" > dist/image-digest.txt
  echo "image index $(cat dist/image-digest.txt): ${images[*]%%=*}"
fi

step "checksums, signature, provenance"
(cd dist && shopt -s nullglob && sha256sum -- *.tar.gz *.zip *.deb *.rpm *.sbom.cdx.json | sort -k2 > checksums.txt)
key=${SIGNING_KEY:-}
if [[ -z $key ]]; then
  key=$BIN/release-signing-key
  [[ -f $key ]] || ssh-keygen -q -t ed25519 -N '' -C "diundashboard local release key" -f "$key"
  echo "signed with the local key $key (set SIGNING_KEY to the project's key to publish)"
fi
printf 'release@diundashboard namespaces="diundashboard-release" %s\n' "$(ssh-keygen -y -f "$key")" > dist/allowed_signers
ssh-keygen -q -Y sign -f "$key" -n diundashboard-release dist/checksums.txt
scripts/release-provenance.sh > dist/provenance.intoto.json
find dist -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
step "done: dist/"
ls -l dist | sed 1d
