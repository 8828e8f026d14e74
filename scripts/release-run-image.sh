#!/usr/bin/env bash
# release-run-image.sh PLATFORM WORKDIR BODY TOKEN VERSION COMMIT: runs dist/oci's image for
# PLATFORM as a container engine would, without one (none runs here): its rootfs unpacked,
# mounted read-only with a fresh /data, entered with chroot as 65532:65532 and an environment
# of the image's own Env only; under qemu-user when the platform is not this machine's
# (arm/v6 on an ARM1176 CPU, which kills an ARMv7 binary). Then: `version`, /healthz, /readyz,
# the image's HEALTHCHECK command, one Diun webhook stored and read back through the API, a clean
# stop, and nothing written but /data. Called by scripts/release-check.sh, as root.
set -euo pipefail
platform=$1 work=$2 body=$3 token=$4 version=$5 commit=$6
QEMU=${QEMU:-bin/qemu/usr/bin}
say() { echo "  $platform: $*"; }
die() { say "$*"; [[ -s $work/server.log ]] && tail -n 20 "$work/server.log" | sed 's/^/    | /'; exit 1; }

root=$work/rootfs data=$work/data
mkdir -p "$root" "$data"
bin/ocibuild extract -layout dist/oci -platform "$platform" | tar -x --numeric-owner -p -C "$root"
bin/ocibuild config -layout dist/oci -platform "$platform" > "$work/config.json"

# Exactly the promised files, owners and modes, and the release's own binary.
listing=$(cd "$root" && find . -mindepth 1 -printf '%p %U:%G %m\n' | sort | tr '\n' ';')
[[ $listing == "./data 65532:65532 700;./diundashboard 0:0 755;./etc 0:0 755;./etc/ssl 0:0 755;./etc/ssl/certs 0:0 755;./etc/ssl/certs/ca-certificates.crt 0:0 644;" ]] \
  || die "the rootfs holds: $listing"
source scripts/release-platforms.sh
cmp -s "$root/diundashboard" "dist/build/$(target_dir "$platform")/diundashboard" || die "/diundashboard is not the archive's binary"
jq -e --arg v "$version" --arg c "$commit" '
  .config.User == "65532:65532" and .config.Entrypoint == ["/diundashboard"] and .config.Cmd == ["serve"]
  and .config.Healthcheck.Test == ["CMD", "/diundashboard", "healthcheck"]
  and .config.Labels["org.opencontainers.image.version"] == $v and .config.Labels["org.opencontainers.image.revision"] == $c
  and .config.Labels["org.opencontainers.image.created"] == .created and .config.Labels["org.opencontainers.image.licenses"] == "MIT"
  and (.config.Labels["org.opencontainers.image.source"] | startswith("https://"))' "$work/config.json" >/dev/null \
  || die "the config is not as promised: $(jq -c .config "$work/config.json")"

# qemu joins the rootfs only now, after the listing was checked.
IFS=/ read -r _ arch variant <<<"$platform"
emu=()
case $arch/$variant in
  amd64/) ;;
  arm64/) emu=(/qemu-aarch64-static) ;;
  arm/v7) emu=(/qemu-arm-static -cpu cortex-a7) ;;
  arm/v6) emu=(/qemu-arm-static -cpu arm1176) ;;
  *) emu=("/qemu-$arch-static") ;;
esac
if ((${#emu[@]})); then cp "$QEMU/${emu[0]#/}" "$root/"; fi
chown 65532:65532 "$data" && chmod 0700 "$data"

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mapfile -t env < <(jq -r '.config.Env[]' "$work/config.json")
# The image's Env, LISTEN_ADDR on loopback, and TZ: a scratch image has no zoneinfo, so a log
# time in Paris' offset proves the binary carries its own.
env+=("LISTEN_ADDR=127.0.0.1:$port" "WEBHOOK_TOKEN=$token" "AUTH_MODE=none" "TZ=Europe/Paris")
# in_image CMD…: runs the image's binary in its own mount namespace, the rootfs read-only. It
# execs (the binary keeps the caller's PID, for the signals): call it in a subshell.
in_image() {
  exec unshare -m bash -c 'set -e; r=$1 d=$2; shift 2
    mount --bind "$r" "$r"; mount -o remount,bind,ro "$r" "$r"; mount --bind "$d" "$r/data"
    exec "$@"' _ "$root" "$data" env -i "${env[@]}" "$(command -v chroot)" --userspec=65532:65532 "$root" "${emu[@]}" /diundashboard "$@"
}

version_out=$(in_image version) || die "diundashboard version failed"
grep -qx "diundashboard $version" <<<"$version_out" && grep -q "commit: *$commit" <<<"$version_out" \
  && grep -q "platform: *$platform\$" <<<"$version_out" || die "diundashboard version says: $version_out"

in_image serve > "$work/server.log" 2>&1 &
pid=$!
stop() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
trap stop EXIT
url=http://127.0.0.1:$port
for ((i = 0; i < 240; i++)); do
  curl -fsS -o /dev/null "$url/healthz" 2>/dev/null && break
  kill -0 "$pid" 2>/dev/null || die "the server exited"
  sleep 0.5
done
curl -fsS -o /dev/null "$url/healthz" || die "/healthz does not answer 200"
curl -fsS -o /dev/null "$url/readyz" || die "/readyz does not answer 200"
(in_image healthcheck) || die "the HEALTHCHECK command (/diundashboard healthcheck) failed"
code=$(curl -sS -o "$work/webhook.out" -w '%{http_code}' -H "Authorization: Bearer $token" -H 'Content-Type: application/json' --data-binary "$body" "$url/webhook")
[[ $code == 2?? ]] || die "POST /webhook answered $code: $(cat "$work/webhook.out")"
image=$(jq -r .image <<<"$body")
curl -fsS "$url/api/v1/images" > "$work/images.json" || die "GET /api/v1/images failed"
grep -qF "\"${image%:*}\"" "$work/images.json" || grep -qF "$image" "$work/images.json" || die "the API does not return $image: $(head -c 300 "$work/images.json")"
tz=$(head -n1 "$work/server.log" | jq -r .time 2>/dev/null || true)
[[ $tz == *+01:00 || $tz == *+02:00 ]] || die "the log time '$tz' is not in Europe/Paris: no time zone data"
kill -TERM "$pid"
wait "$pid" || die "the server did not stop cleanly on SIGTERM (exit $?)"
trap - EXIT

# Nothing but /data was written: the read-only mount enforces it, and /data holds the database.
[[ -s $data/diundashboard.db ]] || die "/data holds no database: $(ls -A "$data")"
[[ -z $(find "$data" ! -user 65532) ]] || die "/data holds files not owned by 65532"
say "version, /healthz, /readyz, healthcheck, webhook → API ($image), TZ, stop: ok"
