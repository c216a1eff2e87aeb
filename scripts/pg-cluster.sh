#!/usr/bin/env bash
# A throwaway local PostgreSQL cluster for tests and development.
#
#   pg-cluster.sh start DIR [PORT]   init (first time) and start a cluster in DIR;
#                                    prints its DATABASE_URL as the only stdout line
#   pg-cluster.sh stop DIR           stop it and delete DIR (idempotent)
#   pg-cluster.sh url DIR            print the DATABASE_URL of the running cluster in DIR
#   pg-cluster.sh halt DIR           stop the server but keep DIR (to test a database outage)
#   pg-cluster.sh resume DIR         start a halted cluster again on its port; prints its DATABASE_URL
#
# Layout of DIR: data/ (PGDATA), server.log, port, the unix socket, and a marker file
# that tells `stop` the directory is ours to delete.
#
# The cluster trusts every local connection and runs with fsync off: it is for
# disposable test data only, never for anything that must survive.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PW_LOG_TAG=pg-cluster
# shellcheck source=scripts/lib.sh
. "$SCRIPT_DIR/lib.sh"

DB_NAME=pledgewatch
DB_USER=postgres
MARKER=.pledgewatch-pg-cluster

usage() {
  cat <<EOF
Usage:
  $(basename "$0") start DIR [PORT]   create (if needed) and start a throwaway cluster in DIR,
                                   listening on 127.0.0.1:PORT (a free port if omitted);
                                   prints the DATABASE_URL on stdout
  $(basename "$0") stop DIR           stop the cluster and remove DIR (no-op if absent)
  $(basename "$0") url DIR            print the DATABASE_URL of the running cluster in DIR
  $(basename "$0") halt DIR           stop the server (fast: open transactions are rolled back,
                                   clients disconnected) but keep DIR and its data
  $(basename "$0") resume DIR         start a halted cluster again on the same port;
                                   prints the DATABASE_URL on stdout
  $(basename "$0") --help             show this help

The database is '$DB_NAME', superuser '$DB_USER', trust auth, bound to 127.0.0.1 only.
TimescaleDB is preloaded when installed (see install-timescaledb.sh).
When run as root, the server runs as the 'postgres' user, so DIR must be readable by
it (not under /root). Logs go to stderr; the server log is DIR/server.log.
Set PG_BINDIR to use a specific PostgreSQL installation.
EOF
}

# PostgreSQL server binaries: PG_BINDIR if set, else what pg_config reports, else PG 15.
pg_bindir() {
  if [ -n "${PG_BINDIR:-}" ]; then
    printf '%s\n' "$PG_BINDIR"
  elif command -v pg_config >/dev/null 2>&1 && pg_config --bindir 2>/dev/null; then
    :
  else
    printf '%s\n' /usr/lib/postgresql/15/bin
  fi
}
PG_BIN=$(pg_bindir)

# Run a command as the database owner: 'postgres' when we are root (PostgreSQL refuses
# to run as root), else the current user. cd / first so the postgres user is not left
# in a directory it cannot read (initdb and psql warn about that).
as_owner() {
  if is_root; then
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

url_for_port() {
  printf 'postgres://%s@127.0.0.1:%s/%s\n' "$DB_USER" "$1" "$DB_NAME"
}

# A TCP port on 127.0.0.1 that is free right now (the kernel picks it for a listen on 0).
free_port() {
  if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
  elif command -v node >/dev/null 2>&1; then
    node -e 'const s = require("net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
  else
    die "need python3 or node to pick a free port; pass PORT explicitly"
  fi
}

is_running() {
  [ -f "$1/data/postmaster.pid" ] && as_owner "$PG_BIN/pg_ctl" -D "$1/data" status >/dev/null 2>&1
}

timescaledb_installed() {
  local sharedir pkglibdir
  sharedir=$("$PG_BIN/pg_config" --sharedir 2>/dev/null) || sharedir=/usr/share/postgresql/15
  pkglibdir=$("$PG_BIN/pg_config" --pkglibdir 2>/dev/null) || pkglibdir=/usr/lib/postgresql/15/lib
  [ -f "$sharedir/extension/timescaledb.control" ] && [ -f "$pkglibdir/timescaledb.so" ]
}

# Absolute path of DIR without requiring it to exist.
abs_dir() {
  [ -n "${1:-}" ] || { usage >&2; exit 2; }
  realpath -m -- "$1"
}

init_cluster() {
  local dir=$1 port=$2
  log "initdb in $dir/data"
  # --no-sync: skip flushing the new files to disk, like fsync=off below (throwaway data).
  # Its chatty output goes to a file and is shown only if it fails.
  if ! as_owner "$PG_BIN/initdb" -D "$dir/data" -U "$DB_USER" --auth=trust -E UTF8 \
    --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1; then
    cat "$dir/initdb.log" >&2
    die "initdb failed"
  fi

  local conf_dir=${dir//\'/\'\'} # quote-escape for postgresql.conf
  {
    echo ""
    echo "# --- added by pg-cluster.sh (PledgeWatch throwaway test/dev cluster) ---"
    echo "listen_addresses = '127.0.0.1'"
    echo "port = $port"
    echo "unix_socket_directories = '$conf_dir'"
    echo "timezone = 'UTC'"
    echo "log_timezone = 'UTC'"
    echo "# Speed over durability: a crash may corrupt this cluster. Acceptable ONLY for"
    echo "# throwaway clusters like this one; never use these settings in production."
    echo "fsync = off"
    echo "synchronous_commit = off"
    echo "full_page_writes = off"
  } >>"$dir/data/postgresql.conf"

  if timescaledb_installed; then
    {
      echo "# TimescaleDB must be preloaded, else CREATE EXTENSION fails with"
      echo "# 'extension must be preloaded'. Its background jobs (policies, telemetry) are"
      echo "# not available in Debian's Apache-2 build and only log errors, so none run."
      echo "shared_preload_libraries = 'timescaledb'"
      echo "timescaledb.max_background_workers = 0"
    } >>"$dir/data/postgresql.conf"
  else
    warn "TimescaleDB is not installed for $PG_BIN; starting plain PostgreSQL (run install-timescaledb.sh as root to add it)"
  fi
}

# Start the server; on failure show why and return non-zero.
start_server() {
  local dir=$1
  log "starting server (log: $dir/server.log)"
  if ! as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >&2; then
    log "server failed to start; last lines of $dir/server.log:"
    tail -n 30 "$dir/server.log" >&2 || true
    return 1
  fi
}

cmd_start() {
  local dir port=${2:-} auto_port=0
  dir=$(abs_dir "${1:-}")
  case "$dir/" in
    /root/*) die "DIR must not be under /root: the postgres user cannot read it (try /tmp/pledgewatch-pg)" ;;
  esac
  # The socket path DIR/.s.PGSQL.PORT must fit in a unix socket address (107 bytes).
  [ "${#dir}" -le 90 ] || die "DIR path is too long for a unix socket directory: $dir"
  if [ -n "$port" ] && ! { [[ "$port" =~ ^[0-9]+$ ]] && [ "$port" -ge 1 ] && [ "$port" -le 65535 ]; }; then
    die "invalid PORT: $port"
  fi

  if [ -f "$dir/data/PG_VERSION" ]; then
    # Existing cluster from an earlier start: reuse it with its configured port.
    [ -f "$dir/$MARKER" ] || die "$dir/data holds a cluster not created by this script; refusing to touch it"
    local stored
    stored=$(cat "$dir/port")
    if [ -n "$port" ] && [ "$port" != "$stored" ]; then
      die "the cluster in $dir is configured for port $stored, not $port (stop it first to recreate)"
    fi
    port=$stored
    if is_running "$dir"; then
      log "cluster in $dir is already running on port $port"
    else
      start_server "$dir" || exit 1
    fi
  else
    if [ -d "$dir" ] && [ -n "$(ls -A "$dir")" ] && [ ! -f "$dir/$MARKER" ]; then
      # `stop` deletes DIR, so never adopt a directory holding someone else's files.
      die "$dir exists and is not empty; use a new or empty directory"
    fi
    mkdir -p "$dir"
    touch "$dir/$MARKER"
    rm -rf "$dir/data" "$dir/server.log"
    if is_root; then
      chown postgres:postgres "$dir"
      chmod 700 "$dir"
      as_owner test -w "$dir" || die "the postgres user cannot write to $dir (check the permissions of its parent directories)"
    fi
    if [ -z "$port" ]; then
      port=$(free_port)
      auto_port=1
    fi
    printf '%s\n' "$port" >"$dir/port"
    init_cluster "$dir" "$port"

    # An automatically chosen port can be taken by someone else before the server binds
    # it (tests start clusters in parallel); pick another one and retry a few times.
    local attempt=1
    until start_server "$dir"; do
      if [ "$auto_port" = 1 ] && [ "$attempt" -lt 3 ] && grep -q 'could not bind\|Address already in use' "$dir/server.log"; then
        attempt=$((attempt + 1))
        port=$(free_port)
        log "port was taken; retrying on port $port"
        sed -i "s/^port = .*/port = $port/" "$dir/data/postgresql.conf"
        printf '%s\n' "$port" >"$dir/port"
      else
        exit 1
      fi
    done
  fi

  # Create the application database unless it exists already (restart of a cluster).
  local exists
  exists=$(as_owner "$PG_BIN/psql" -h "$dir" -p "$port" -U "$DB_USER" -d postgres -XtAq \
    -c "select 1 from pg_database where datname = '$DB_NAME'")
  if [ "$exists" != 1 ]; then
    log "creating database $DB_NAME"
    as_owner "$PG_BIN/createdb" -h "$dir" -p "$port" -U "$DB_USER" "$DB_NAME"
  fi

  log "ready on 127.0.0.1:$port"
  url_for_port "$port"
}

cmd_stop() {
  local dir
  dir=$(abs_dir "${1:-}")
  [ -e "$dir" ] || { log "$dir does not exist; nothing to do"; return 0; }

  if is_running "$dir"; then
    log "stopping server in $dir"
    # fast = roll back open transactions and disconnect clients; if that does not
    # finish in time, fall back to immediate so DIR can still be removed.
    as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >&2 ||
      as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -m immediate -w stop >&2 || true
  fi

  if [ -f "$dir/$MARKER" ]; then
    rm -rf -- "$dir"
    log "removed $dir"
  elif [ -d "$dir" ] && [ -z "$(ls -A "$dir")" ]; then
    rmdir -- "$dir"
  else
    warn "$dir was not created by this script; not deleting it"
  fi
}

cmd_url() {
  local dir
  dir=$(abs_dir "${1:-}")
  [ -f "$dir/port" ] || die "no cluster in $dir"
  is_running "$dir" || die "the cluster in $dir is not running (start it with: $(basename "$0") start $dir)"
  url_for_port "$(cat "$dir/port")"
}

# The cluster in DIR, which must be one this script created.
our_cluster() {
  local dir=$1
  if [ ! -f "$dir/data/PG_VERSION" ] || [ ! -f "$dir/port" ]; then die "no cluster in $dir"; fi
  [ -f "$dir/$MARKER" ] || die "$dir/data holds a cluster not created by this script; refusing to touch it"
}

cmd_halt() {
  local dir
  dir=$(abs_dir "${1:-}")
  our_cluster "$dir"
  if ! is_running "$dir"; then
    log "cluster in $dir is not running; nothing to do"
    return 0
  fi
  log "halting server in $dir (data kept)"
  # No fallback to immediate here, unlike `stop`: a caller testing an outage wants a clean
  # shutdown it can resume from, and an error if it did not happen.
  as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >&2 || die "could not halt the server in $dir"
}

cmd_resume() {
  local dir
  dir=$(abs_dir "${1:-}")
  our_cluster "$dir"
  if is_running "$dir"; then
    log "cluster in $dir is already running"
  else
    # The port is in DIR/data/postgresql.conf: the server comes back where clients expect it.
    start_server "$dir" || exit 1
  fi
  log "ready on 127.0.0.1:$(cat "$dir/port")"
  url_for_port "$(cat "$dir/port")"
}

main() {
  local cmd=${1:-} nargs=$(($# - 1))
  case "$cmd:$nargs" in
    start:1 | start:2) shift; cmd_start "$@" ;;
    stop:1) shift; cmd_stop "$@" ;;
    url:1) shift; cmd_url "$@" ;;
    halt:1) shift; cmd_halt "$@" ;;
    resume:1) shift; cmd_resume "$@" ;;
    -h:* | --help:* | help:*) usage ;;
    *) usage >&2; exit 2 ;;
  esac
}

# "; exit" on the same line: bash reads scripts lazily, so this stops it from reading
# past this point if the file is replaced (e.g. by git pull) while it runs.
main "$@"; exit
