#!/usr/bin/env bash
# `make release-check`: verifies what `make release` left in dist/ before anything is published.
#   - every promised target has its archive (binary, LICENSE, README, CHANGELOG) and SBOM, and the
#     archive's binary is the one built; the SBOM's modules are the binary's (`go version -m`);
#   - checksums.txt matches, and its signature verifies (and fails once one byte is flipped);
#   - the .deb and .rpm hold the expected files and the same binary; lintian reports no error;
#     the systemd unit's `systemd-analyze security` exposure is at most 2.0;
#   - the OCI index lists exactly the promised image platforms, each with the right config, and
#     each image is run: its rootfs read-only, as 65532:65532, under qemu-user for the other
#     architectures (arm/v6 on an ARMv6 CPU), serves /healthz and /readyz, passes its own
#     healthcheck, stores a real Diun webhook and returns it through the API, writing only /data.
# TARGETS must be what `make release` was given (default: every target).
# Needs root (unshare, chroot) and scripts/ensure-release-tools.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/release-platforms.sh
TARGETS=${TARGETS:-$ALL_TARGETS}
QEMU=${QEMU:-bin/qemu/usr/bin}
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }
step() { printf '== %s (%s)\n' "$*" "$(date -u +%H:%M:%S)"; }
started=$(date +%s)
[[ -f dist/provenance.intoto.json ]] || { echo "release-check: no dist/provenance.intoto.json: run make release first" >&2; exit 1; }
VERSION=$(jq -r .predicate.buildDefinition.externalParameters.version dist/provenance.intoto.json)
COMMIT=$(jq -r .predicate.buildDefinition.externalParameters.source.digest.gitCommit dist/provenance.intoto.json)
ver=${VERSION#v}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

step "release $VERSION of $COMMIT"
built=$(jq -r '.predicate.buildDefinition.externalParameters.targets | join(" ")' dist/provenance.intoto.json)
[[ $built == "$TARGETS" ]] && ok "built exactly the targets: $TARGETS" || fail "dist/ was built for '$built', expected '$TARGETS'"

step "checksums and signature"
if (cd dist && sha256sum --quiet -c checksums.txt); then ok "checksums.txt matches"; else fail "checksums.txt does not match dist/"; fi
listed=$(awk '{print $2}' dist/checksums.txt)
present=$(cd dist && shopt -s nullglob && ls -1 -- *.tar.gz *.zip *.deb *.rpm *.sbom.cdx.json | sort)
[[ $listed == "$present" ]] && ok "checksums.txt lists every shipped file" || fail "checksums.txt lists $(wc -w <<<"$listed") files, dist/ holds $(wc -w <<<"$present")"
verify() { ssh-keygen -Y verify -f dist/allowed_signers -I release@diundashboard -n diundashboard-release -s dist/checksums.txt.sig < "$1" >/dev/null 2>&1; }
if verify dist/checksums.txt; then ok "checksums.txt.sig verifies"; else fail "checksums.txt.sig does not verify"; fi
cp dist/checksums.txt "$work/flipped"
printf '%s' "$(head -c1 "$work/flipped" | tr '0-9a-f' '1-9a-f0')" | dd of="$work/flipped" bs=1 count=1 conv=notrunc status=none
if cmp -s dist/checksums.txt "$work/flipped"; then fail "could not flip a byte"; elif verify "$work/flipped"; then fail "the signature verifies a checksums.txt with a flipped byte"; else ok "a flipped byte fails the signature"; fi
jq -e '._type == "https://in-toto.io/Statement/v1" and .predicateType == "https://slsa.dev/provenance/v1"' dist/provenance.intoto.json >/dev/null \
  && ok "provenance is an in-toto SLSA v1 statement" || fail "provenance.intoto.json is not an in-toto SLSA provenance v1 statement"
for f in $listed checksums.txt; do
  want=$(sha256sum "dist/$f" | cut -d' ' -f1)
  jq -e --arg n "$f" --arg d "$want" 'any(.subject[]; .name == $n and .digest.sha256 == $d)' dist/provenance.intoto.json >/dev/null || fail "provenance has no subject $f with its digest"
done

step "archives and SBOMs"
for t in $TARGETS; do
  IFS=/ read -r os _ _ <<<"$t"
  name=diundashboard_${ver}_$(target_dir "$t")
  exe=diundashboard; [[ $os == windows ]] && exe+=.exe
  bin=dist/build/$(target_dir "$t")/$exe
  x=$work/archive/$name
  mkdir -p "$x"
  if [[ $os == windows ]]; then unzip -q "dist/$name.zip" -d "$x"; else tar -xzf "dist/$name.tar.gz" -C "$x"; fi
  files=$(cd "$x" && find . -mindepth 1 | sort | tr '\n' ' ')
  [[ $files == "./CHANGELOG.md ./LICENSE ./README.md ./$exe " ]] || fail "$name holds: $files"
  cmp -s "$x/$exe" "$bin" || fail "$name: its binary is not the one built"
  # The modules go version -m reads from the binary, against the SBOM's components.
  from_bin=$(go version -m "$bin" | awk '$1 == "dep" || $1 == "=>" { print $2 "@" $3 }' | sort -u)
  from_sbom=$(jq -r '.components[] | select(.name != "std") | .name + "@" + .version' "dist/$name.sbom.cdx.json" | sort -u)
  if [[ -n $from_bin && $from_bin == "$from_sbom" ]]; then
    ok "$name: archive, and SBOM lists the binary's $(wc -l <<<"$from_bin") modules"
  else
    fail "$name: the SBOM's modules differ from go version -m: $(diff <(echo "$from_bin") <(echo "$from_sbom") | head -5 | tr '\n' ' ')"
  fi
  rm -rf "$x"
done

step "packages"
unit_checked=
for t in $TARGETS; do
  deb_arch=$(deb_arch "$t") || continue
  rpm_arch=$(rpm_arch "$t")
  bin=dist/build/$(target_dir "$t")/diundashboard
  # A pre-release's version is 1.2.3~rc.1 in the packages (it sorts before 1.2.3).
  deb=dist/diundashboard_${ver/-/\~}-1_${deb_arch}.deb
  rpm=dist/diundashboard-${ver/-/\~}-1.${rpm_arch}.rpm
  [[ -f $deb && -f $rpm ]] || { fail "$t: missing $deb or $rpm"; continue; }
  x=$work/deb-$deb_arch
  dpkg-deb -x "$deb" "$x"
  want="./etc/default/diundashboard ./lib/systemd/system/diundashboard.service ./usr/bin/diundashboard ./usr/share/doc/diundashboard/README.md ./usr/share/doc/diundashboard/changelog.Debian.gz ./usr/share/doc/diundashboard/copyright ./usr/share/lintian/overrides/diundashboard "
  got=$(cd "$x" && find . -type f | sort | tr '\n' ' ')
  [[ $got == "$want" ]] || fail "$deb holds: $got"
  cmp -s "$x/usr/bin/diundashboard" "$bin" || fail "$deb: /usr/bin/diundashboard is not the binary built"
  [[ $(dpkg-deb -f "$deb" Architecture) == "$deb_arch" ]] || fail "$deb: Architecture $(dpkg-deb -f "$deb" Architecture)"
  lintian --no-tag-display-limit "$deb" > "$work/lintian" 2>&1 || true
  if grep -q '^E:' "$work/lintian"; then fail "$deb: lintian errors:"; grep '^E:' "$work/lintian" >&2
  else ok "$deb: lintian: no error ($(grep -c '^W:' "$work/lintian") warnings: $(grep '^W:' "$work/lintian" | awk '{print $3}' | sort -u | tr '\n' ' '))"; fi
  rpm_files=$(rpm -qlp "$rpm" 2>/dev/null | sort | tr '\n' ' ')
  [[ $rpm_files == "/etc/sysconfig/diundashboard /lib/systemd/system/diundashboard.service /usr/bin/diundashboard /usr/share/doc/diundashboard/README.md " ]] || fail "$rpm holds: $rpm_files"
  [[ $(rpm -qp --qf '%{ARCH}' "$rpm" 2>/dev/null) == "$rpm_arch" ]] || fail "$rpm: arch $(rpm -qp --qf '%{ARCH}' "$rpm" 2>/dev/null)"
  if [[ -z $unit_checked ]]; then
    unit_checked=1
    exposure=$(systemd-analyze security --offline=true "$x/lib/systemd/system/diundashboard.service" 2>&1 | sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p')
    if [[ -n $exposure ]] && awk -v e="$exposure" 'BEGIN { exit !(e <= 2.0) }'; then ok "systemd unit: exposure $exposure (at most 2.0)"; else fail "systemd unit: exposure '${exposure}' is above 2.0"; fi
  fi
  ok "$deb and $rpm"
done

step "image"
images=()
for t in $IMAGE_PLATFORMS; do [[ " $TARGETS " == *" $t "* ]] && images+=("$t"); done
index=$(bin/ocibuild platforms -layout dist/oci | tr '\n' ' ')
[[ $index == "${images[*]} " ]] && ok "the index lists exactly: ${images[*]}" || fail "the index lists '$index', promised '${images[*]} '"
[[ $(bin/ocibuild digest -layout dist/oci) == "$(cat dist/image-digest.txt)" ]] || fail "image-digest.txt is not the index's digest"
body=$(cat server/webhook/testdata/diun/docker-update.json)
token=release-check-token-0123456789abcdef
for p in "${images[@]}"; do
  s=$(date +%s)
  if scripts/release-run-image.sh "$p" "$work/run" "$body" "$token" "$VERSION" "$COMMIT"; then
    ok "$p: ran from its read-only rootfs as 65532, stored and read back a webhook ($(( $(date +%s) - s ))s)"
  else
    fail "$p: the image did not pass (above)"
  fi
  rm -rf "$work/run"
done

step "done in $(( $(date +%s) - started ))s"
if ((failures)); then echo "release-check: $failures failures" >&2; exit 1; fi
echo "release-check: everything passed"
