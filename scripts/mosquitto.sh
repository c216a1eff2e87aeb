#!/usr/bin/env bash
# A throwaway local mosquitto MQTT broker for tests, benchmarks and development.
#
#   mosquitto.sh start [--auth FILE] [--acl FILE] DIR [PORT]
#                                 write a config in DIR (first time) and start a broker on
#                                 127.0.0.1:PORT; prints its URL as the only stdout line
#   mosquitto.sh stop DIR         stop it and delete DIR (idempotent)
#   mosquitto.sh url DIR          print the URL of the running broker in DIR
#
# Layout of DIR: mosquitto.conf, mosquitto.log, mosquitto.pid, port, passwd and acl (when
# given), and a marker file that tells `stop` the directory is ours to delete.
#
# The broker keeps nothing on disk (persistence false): sessions and queued messages live only
# as long as the process. It is for disposable test traffic only.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PW_LOG_TAG=mosquitto
# shellcheck source=scripts/lib.sh
. "$SCRIPT_DIR/lib.sh"

MARKER=.pledgewatch-mosquitto
BROKER_BIN=${MOSQUITTO_BIN:-/usr/sbin/mosquitto}
RUN_AS=mosquitto
READY_TIMEOUT_S=10

usage() {
  cat <<EOF
Usage:
  $(basename "$0") start [--auth FILE] [--acl FILE] DIR [PORT]
                                    create (if needed) and start a throwaway broker in DIR,
                                    listening on 127.0.0.1:PORT (a free port if omitted);
                                    prints the broker URL (mqtt://127.0.0.1:PORT) on stdout
  $(basename "$0") stop DIR            stop the broker and remove DIR (no-op if absent)
  $(basename "$0") url DIR             print the URL of the running broker in DIR
  $(basename "$0") --help              show this help

Without --auth the broker accepts anonymous clients. With --auth FILE, FILE holds one
'username:password' line per user in plain text; it is copied to DIR/passwd and hashed
there with mosquitto_passwd, and only those users may connect. --acl FILE adds a mosquitto
ACL file (see mosquitto.conf(5), acl_file). Both apply on the first start of DIR only.

Tuned for the ingest path: TCP_NODELAY on, a deep per-client queue so QoS 1 messages to a
busy subscriber are queued instead of silently dropped, no persistence, bound to
127.0.0.1 only. When run as root, the broker runs as the '$RUN_AS' user, so DIR must be
readable by it (not under /root). Logs go to stderr; the broker log is DIR/mosquitto.log.
Install mosquitto with install-mosquitto.sh; set MOSQUITTO_BIN to use another binary.
EOF
}

# Run a command as the broker's owner: '$RUN_AS' when we are root (so the broker never holds
# root, and the files it writes in DIR are its own), else the current user.
as_owner() {
  if is_root; then
    (cd / && runuser -u "$RUN_AS" -- "$@")
  else
    "$@"
  fi
}

url_for_port() {
  printf 'mqtt://127.0.0.1:%s\n' "$1"
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

# Pid of the broker in DIR if it is running, else nothing (and a non-zero status).
running_pid() {
  local pid
  [ -f "$1/mosquitto.pid" ] || return 1
  pid=$(cat "$1/mosquitto.pid" 2>/dev/null) || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  # The pid must still be a mosquitto started with this DIR's config (pids get reused).
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$1/mosquitto.conf" || return 1
  printf '%s\n' "$pid"
}

is_running() {
  running_pid "$1" >/dev/null
}

# Absolute path of DIR without requiring it to exist.
abs_dir() {
  [ -n "${1:-}" ] || { usage >&2; exit 2; }
  realpath -m -- "$1"
}

write_config() {
  local dir=$1 port=$2 auth=$3 acl=$4
  {
    echo "# Written by mosquitto.sh: a PledgeWatch throwaway test/dev broker. Do not reuse."
    echo "listener $port 127.0.0.1"
    if [ -n "$auth" ]; then
      echo "allow_anonymous false"
      echo "password_file $dir/passwd"
    else
      echo "allow_anonymous true"
    fi
    if [ -n "$acl" ]; then
      echo "acl_file $dir/acl"
    fi
    echo ""
    echo "# Nagle's algorithm holds small writes back until the previous segment is acknowledged:"
    echo "# about 50 ms at p99 on every publish -> subscribe hop. Ingest is all small packets."
    echo "set_tcp_nodelay true"
    echo ""
    echo "# Per-client queue of QoS 1/2 messages beyond those in flight. The default (1000) SILENTLY"
    echo "# drops QoS 1 messages to a subscriber that falls behind (the service while its database"
    echo "# is down, or while it reconnects): the opposite of what QoS 1 promises the gateways."
    echo "# max_queued_bytes stays at its default, 0 (no limit): this broker only sees test loads."
    echo "max_queued_messages 1000000"
    echo "# Unacknowledged QoS 1/2 messages per client. For MQTT 5 clients the broker sends them"
    echo "# at most their own Receive Maximum (the service client sets it) and advertises this value"
    echo "# as its Receive Maximum to publishers; MQTT 3.1.1 subscribers get exactly this many."
    echo "# The default (20) caps every gateway connection at 20 unacknowledged publishes."
    echo "max_inflight_messages 1000"
    echo ""
    echo "# Throwaway: sessions and queues live in memory only and die with the process."
    echo "persistence false"
    echo "pid_file $dir/mosquitto.pid"
    echo "log_dest file $dir/mosquitto.log"
    echo "log_timestamp_format %Y-%m-%dT%H:%M:%S"
  } >"$dir/mosquitto.conf"
}

# Copy the plain 'user:password' FILE into DIR/passwd and hash it in place.
install_password_file() {
  local dir=$1 file=$2
  [ -r "$file" ] || die "--auth: cannot read $file"
  grep -qE '^[^:#[:space:]][^:]*:.+$' "$file" || die "--auth: $file holds no 'username:password' line"
  command -v mosquitto_passwd >/dev/null 2>&1 || die "mosquitto_passwd not found (run install-mosquitto.sh)"
  install -m 600 "$file" "$dir/passwd"
  mosquitto_passwd -U "$dir/passwd" || die "--auth: mosquitto_passwd could not hash $file"
}

# Start the broker and wait until it reports that it runs; on failure show why and return
# non-zero.
start_broker() {
  local dir=$1 port=$2 log_offset=0 waited=0 fresh
  log "starting mosquitto on 127.0.0.1:$port (log: $dir/mosquitto.log)"
  rm -f "$dir/mosquitto.pid"
  # The log survives restarts: only what this start appends counts.
  [ -f "$dir/mosquitto.log" ] && log_offset=$(stat -c %s "$dir/mosquitto.log")
  # -d: the broker forks into the background and writes DIR/mosquitto.pid. It binds its
  # listener after forking, so a taken port shows up only in the log, hence the wait below.
  # (Probing the port would not do: the process that took it answers too.)
  if ! as_owner "$BROKER_BIN" -c "$dir/mosquitto.conf" -d; then
    tail -n 20 "$dir/mosquitto.log" >&2 2>/dev/null || true
    return 1
  fi
  while [ "$waited" -lt $((READY_TIMEOUT_S * 20)) ]; do
    fresh=$(tail -c +$((log_offset + 1)) "$dir/mosquitto.log" 2>/dev/null || true)
    # "running" is logged once every listener is open; "Error:" lines precede an exit.
    if grep -q 'Error:' <<<"$fresh"; then
      break
    elif grep -q 'mosquitto version .* running' <<<"$fresh" && is_running "$dir"; then
      return 0
    fi
    sleep 0.05
    waited=$((waited + 1))
  done
  log "mosquitto did not come up; last lines of $dir/mosquitto.log:"
  tail -n 20 "$dir/mosquitto.log" >&2 2>/dev/null || true
  stop_broker "$dir"
  return 1
}

# Stop the broker in DIR if it runs: SIGTERM, then SIGKILL if it does not exit within 10 s.
stop_broker() {
  local dir=$1 pid waited=0
  pid=$(running_pid "$dir") || return 0
  log "stopping mosquitto (pid $pid) in $dir"
  kill -TERM "$pid" 2>/dev/null || true
  # Gone, or a zombie (empty cmdline) waiting for its parent to reap it: either way it has exited.
  while [ -n "$(tr -d '\0' <"/proc/$pid/cmdline" 2>/dev/null)" ]; do
    if [ "$waited" -ge 100 ]; then
      warn "mosquitto (pid $pid) did not exit after SIGTERM; killing it"
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
}

cmd_start() {
  local auth="" acl=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --auth) [ $# -ge 2 ] || die "--auth needs a FILE"; auth=$(realpath -- "$2"); shift 2 ;;
      --acl) [ $# -ge 2 ] || die "--acl needs a FILE"; acl=$(realpath -- "$2"); shift 2 ;;
      --) shift; break ;;
      -*) usage >&2; exit 2 ;;
      *) break ;;
    esac
  done
  if [ $# -lt 1 ] || [ $# -gt 2 ]; then usage >&2; exit 2; fi

  local dir port=${2:-} auto_port=0
  dir=$(abs_dir "$1")
  case "$dir/" in
    /root/*)
      if is_root; then
        die "DIR must not be under /root: the $RUN_AS user cannot read it (try /tmp/pledgewatch-mqtt)"
      fi
      ;;
  esac
  # mosquitto.conf has no quoting: paths with blanks would be cut at the first one.
  [[ "$dir" =~ [[:space:]] ]] && die "DIR must not contain blanks: $dir"
  if [ -n "$port" ] && ! { [[ "$port" =~ ^[0-9]+$ ]] && [ "$port" -ge 1 ] && [ "$port" -le 65535 ]; }; then
    die "invalid PORT: $port"
  fi
  [ -x "$BROKER_BIN" ] || die "$BROKER_BIN not found: install mosquitto (scripts/install-mosquitto.sh, as root)"

  if [ -f "$dir/mosquitto.conf" ]; then
    # Existing broker directory from an earlier start: reuse it with its configured port.
    [ -f "$dir/$MARKER" ] || die "$dir holds a mosquitto.conf not written by this script; refusing to touch it"
    local stored
    stored=$(cat "$dir/port")
    if [ -n "$port" ] && [ "$port" != "$stored" ]; then
      die "the broker in $dir is configured for port $stored, not $port (stop it first to recreate)"
    fi
    if [ -n "$auth$acl" ]; then
      warn "--auth/--acl apply on the first start only; keeping the existing configuration in $dir"
    fi
    port=$stored
    if is_running "$dir"; then
      log "broker in $dir is already running on port $port"
    else
      start_broker "$dir" "$port" || exit 1
    fi
  else
    if [ -d "$dir" ] && [ -n "$(ls -A "$dir")" ] && [ ! -f "$dir/$MARKER" ]; then
      # `stop` deletes DIR, so never adopt a directory holding someone else's files.
      die "$dir exists and is not empty; use a new or empty directory"
    fi
    mkdir -p "$dir"
    touch "$dir/$MARKER"
    [ -z "$auth" ] || install_password_file "$dir" "$auth"
    if [ -n "$acl" ]; then
      [ -r "$acl" ] || die "--acl: cannot read $acl"
      install -m 600 "$acl" "$dir/acl"
    fi
    if is_root; then
      chown -R "$RUN_AS:$RUN_AS" "$dir"
      chmod 700 "$dir"
      as_owner test -w "$dir" || die "the $RUN_AS user cannot write to $dir (check the permissions of its parent directories)"
    fi
    if [ -z "$port" ]; then
      port=$(free_port)
      auto_port=1
    fi

    # An automatically chosen port can be taken by someone else before the broker binds it
    # (tests start brokers in parallel); pick another one and retry a few times.
    local attempt=1
    while :; do
      printf '%s\n' "$port" >"$dir/port"
      write_config "$dir" "$port" "$auth" "$acl"
      if is_root; then chown "$RUN_AS:$RUN_AS" "$dir/port" "$dir/mosquitto.conf"; fi
      start_broker "$dir" "$port" && break
      if [ "$auto_port" = 1 ] && [ "$attempt" -lt 3 ] && grep -q 'Address already in use' "$dir/mosquitto.log" 2>/dev/null; then
        attempt=$((attempt + 1))
        port=$(free_port)
        log "port was taken; retrying on port $port"
      else
        exit 1
      fi
    done
  fi

  log "ready on 127.0.0.1:$port"
  url_for_port "$port"
}

cmd_stop() {
  local dir
  dir=$(abs_dir "${1:-}")
  [ -e "$dir" ] || { log "$dir does not exist; nothing to do"; return 0; }

  stop_broker "$dir"

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
  [ -f "$dir/port" ] || die "no broker in $dir"
  is_running "$dir" || die "the broker in $dir is not running (start it with: $(basename "$0") start $dir)"
  url_for_port "$(cat "$dir/port")"
}

main() {
  local cmd=${1:-} nargs=$(($# - 1))
  case "$cmd:$nargs" in
    start:*) shift; cmd_start "$@" ;;
    stop:1) shift; cmd_stop "$@" ;;
    url:1) shift; cmd_url "$@" ;;
    -h:* | --help:* | help:*) usage ;;
    *) usage >&2; exit 2 ;;
  esac
}

# "; exit" on the same line: bash reads scripts lazily, so this stops it from reading
# past this point if the file is replaced (e.g. by git pull) while it runs.
main "$@"; exit
