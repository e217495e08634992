#!/usr/bin/env bash
# PostgreSQL for the HumanInLoop.PostgreSql tests, on loopback only.
#   source .ci/services/postgres.sh start   installs PostgreSQL if missing, starts the cluster, creates the test
#                                           role and database, and exports HUMANINLOOP_POSTGRES.
#   bash .ci/services/postgres.sh stop      stops the cluster again.
# Idempotent (start twice is fine), safe to source under `set -u`, and prints no secret but the test password's role.
# Sourced by .ci/run, so it never calls `exit` on the sourcing shell and never changes its shell options.

_hil_pg_role=humaninloop_test
_hil_pg_password=humaninloop_test_password
_hil_pg_database=humaninloop_test

_hil_pg_sudo_postgres() {
  # Run as the postgres OS user (peer authentication on the local socket).
  if [ "$(id -u)" = "0" ]; then
    su postgres -s /bin/sh -c "$1"
  else
    sudo -n -u postgres sh -c "$1"
  fi
}

_hil_pg_cluster() {
  # First installed cluster, as "version name port status" (the image has 15/main; a fresh install creates one).
  pg_lsclusters -h 2>/dev/null | awk 'NR==1 {print $1, $2, $3, $4}'
}

_hil_pg_start() {
  if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    echo "postgres: installing postgresql (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null || return 1
    apt-get install -y -qq postgresql >/dev/null || return 1
  fi

  local cluster version name port status
  cluster=$(_hil_pg_cluster)
  if [ -z "$cluster" ]; then
    version=$(ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -n 1)
    [ -n "$version" ] || { echo "postgres: no PostgreSQL version installed"; return 1; }
    echo "postgres: creating cluster $version/main"
    pg_createcluster "$version" main >/dev/null || return 1
    cluster=$(_hil_pg_cluster)
  fi
  read -r version name port status <<<"$cluster"

  # Room for the multi-process tests (several worker processes, each with a small pool).
  local conf="/etc/postgresql/$version/$name/conf.d/humaninloop-tests.conf"
  if [ -d "$(dirname "$conf")" ] && [ ! -f "$conf" ]; then
    printf "listen_addresses = 'localhost'\nmax_connections = 300\n" >"$conf"
    if [ "$status" = "online" ]; then
      pg_ctlcluster "$version" "$name" restart || return 1
    fi
  fi

  if [ "$status" != "online" ] || ! pg_ctlcluster "$version" "$name" status >/dev/null 2>&1; then
    echo "postgres: starting cluster $version/$name on port $port"
    pg_ctlcluster "$version" "$name" start || return 1
  fi

  local i
  for i in $(seq 1 30); do
    _hil_pg_sudo_postgres "psql -p $port -tAc 'select 1'" >/dev/null 2>&1 && break
    sleep 1
  done

  _hil_pg_sudo_postgres "psql -p $port -v ON_ERROR_STOP=1 -q" <<SQL >/dev/null || return 1
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$_hil_pg_role') THEN
    CREATE ROLE $_hil_pg_role LOGIN PASSWORD '$_hil_pg_password';
  ELSE
    ALTER ROLE $_hil_pg_role LOGIN PASSWORD '$_hil_pg_password';
  END IF;
END
\$\$;
SQL
  if [ "$(_hil_pg_sudo_postgres "psql -p $port -tAc \"SELECT 1 FROM pg_database WHERE datname = '$_hil_pg_database'\"")" != "1" ]; then
    _hil_pg_sudo_postgres "createdb -p $port -O $_hil_pg_role $_hil_pg_database" || return 1
  fi

  export HUMANINLOOP_POSTGRES="Host=127.0.0.1;Port=$port;Username=$_hil_pg_role;Password=$_hil_pg_password;Database=$_hil_pg_database"
  echo "postgres: ready on 127.0.0.1:$port (database $_hil_pg_database, role $_hil_pg_role); HUMANINLOOP_POSTGRES exported"
}

_hil_pg_stop() {
  command -v pg_ctlcluster >/dev/null 2>&1 || return 0
  local cluster version name port status
  cluster=$(_hil_pg_cluster)
  [ -n "$cluster" ] || return 0
  read -r version name port status <<<"$cluster"
  if [ "$status" = "online" ]; then
    echo "postgres: stopping cluster $version/$name"
    pg_ctlcluster "$version" "$name" stop || return 1
  fi
}

_hil_pg_main() {
  case "${1:-}" in
    start) _hil_pg_start ;;
    stop) _hil_pg_stop ;;
    *) echo "usage: postgres.sh start|stop" >&2; return 2 ;;
  esac
}

if [ "${BASH_SOURCE[0]}" != "$0" ]; then
  _hil_pg_main "${1:-}"
else
  _hil_pg_main "${1:-}"
  exit $?
fi
