#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers on 127.0.0.1:5432 with trust auth for local TCP, as the
# tests expect (internal/pgtest: postgres://postgres@127.0.0.1:5432/postgres). Installs Debian's
# PostgreSQL when it is missing, creates and configures the cluster, starts it and waits for it.
# Idempotent. Installing or starting needs root.
set -euo pipefail

host=127.0.0.1
port=5432

say() { echo "ensure-postgres: $*"; }
ready() { pg_isready -q -h "$host" -p "$port"; }

apt_updated=
apt_install() {
  [[ $(id -u) == 0 ]] || { say "need root to install $*"; exit 1; }
  if [[ -z $apt_updated ]]; then apt-get update -qq; apt_updated=1; fi
  say "installing $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}

command -v pg_isready >/dev/null || apt_install postgresql-client
if ready; then
  say "PostgreSQL is up on $host:$port"
  exit 0
fi
[[ $(id -u) == 0 ]] || { say "PostgreSQL is not up on $host:$port and starting it needs root"; exit 1; }

# The server: Debian's package (PostgreSQL 15 on bookworm) with its cluster tools.
if ! command -v pg_ctlcluster >/dev/null || ! compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null; then
  apt_install postgresql
fi

# The cluster: the newest existing "main", else create one for the newest installed version.
version=$(pg_lsclusters -h | awk '$2 == "main" { print $1 }' | sort -V | tail -n 1)
if [[ -z $version ]]; then
  version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
  say "creating cluster $version/main"
  pg_createcluster --port "$port" "$version" main
fi

# Trust auth for TCP from the loopback addresses, unless the first matching rule already says so.
# The trust rule goes first in pg_hba.conf: the first rule that matches a connection decides.
hba=/etc/postgresql/$version/main/pg_hba.conf
hba_changed=
for addr in ::1/128 127.0.0.1/32; do
  method=$(awk -v a="$addr" '$1 ~ /^host/ && $4 == a { print $NF; exit }' "$hba")
  if [[ $method != trust ]]; then
    say "pg_hba.conf: trust for host connections from $addr (was: ${method:-no rule})"
    sed -i "1i host all all $addr trust" "$hba"
    hba_changed=1
  fi
done

if pg_lsclusters -h "$version" main | awk '{ exit $4 == "online" ? 0 : 1 }'; then
  [[ -z $hba_changed ]] || pg_ctlcluster --skip-systemctl-redirect "$version" main reload
else
  say "starting cluster $version/main"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start
fi

for _ in $(seq 30); do
  if ready; then
    say "PostgreSQL $version is up on $host:$port"
    exit 0
  fi
  sleep 1
done
say "PostgreSQL $version did not answer on $host:$port within 30 s; the end of its log:"
tail -n 30 "/var/log/postgresql/postgresql-$version-main.log" || true
exit 1
