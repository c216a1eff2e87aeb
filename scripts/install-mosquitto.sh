#!/usr/bin/env bash
# Install Debian's mosquitto MQTT broker (for the external-broker tests), and make sure the
# system service it comes with is NOT left running: tests start their own throwaway brokers
# (scripts/mosquitto.sh), and a system broker on port 1883 would only hide mistakes.
#
# Idempotent:
#   - already installed  -> (as root: stop and disable the system service if it runs)
#                           print the version, exit 0 (no root needed, no network)
#   - not installed      -> apt-get install mosquitto (apt-get update only when the
#                           package lists do not know it or the download fails), with
#                           service starts denied during the install, then stop and
#                           disable the service
#
# stdout: the installed package version (one line). Logs go to stderr.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PW_LOG_TAG=install-mosquitto
# shellcheck source=scripts/lib.sh
. "$SCRIPT_DIR/lib.sh"

PKG=mosquitto
BROKER_BIN=/usr/sbin/mosquitto
PASSWD_BIN=/usr/bin/mosquitto_passwd
POLICY_RC_D=/usr/sbin/policy-rc.d
# Where Debian's init script and systemd unit keep the pid of the system broker.
SYSTEM_PID_FILE=/run/mosquitto/mosquitto.pid

export DEBIAN_FRONTEND=noninteractive

usage() {
  cat <<EOF
Usage: $(basename "$0") [--help]

Installs Debian's '$PKG' package (needs root and access to the Debian archive) and makes
sure its system service is stopped and disabled: tests run their own brokers with
scripts/mosquitto.sh. Prints the installed version on stdout.
EOF
}

# Version of $PKG if dpkg considers it installed, else nothing.
installed_version() {
  local status
  status=$(dpkg-query -W -f='${db:Status-Status} ${Version}' "$PKG" 2>/dev/null) || return 0
  case "$status" in
    "installed "*) printf '%s\n' "${status#installed }" ;;
  esac
}

# Succeeds (and prints the version on stdout) when the broker and mosquitto_passwd are there.
# $1: what to say in the log ("is already installed" unless given).
already_installed() {
  local version
  version=$(installed_version)
  [ -n "$version" ] && [ -x "$BROKER_BIN" ] && [ -x "$PASSWD_BIN" ] || return 1
  log "$PKG $version ${1:-is already installed}"
  printf '%s\n' "$version"
}

# The candidate version apt would install, or nothing when the package lists do not know it.
candidate_version() {
  local candidate
  candidate=$(apt-cache policy "$PKG" 2>/dev/null | sed -n 's/^[[:space:]]*Candidate:[[:space:]]*//p')
  [ "$candidate" = "(none)" ] || printf '%s\n' "$candidate"
}

# Pid of the system broker from its pid file if that process is alive (not a zombie), else nothing.
system_broker_pid() {
  local pid state
  [ -f "$SYSTEM_PID_FILE" ] || return 0
  pid=$(cat "$SYSTEM_PID_FILE" 2>/dev/null) || return 0
  [[ "$pid" =~ ^[0-9]+$ ]] || return 0
  state=$(ps -o stat= -o comm= -p "$pid" 2>/dev/null) || return 0
  case "$state" in
    Z*) ;;
    *mosquitto*) printf '%s\n' "$pid" ;;
  esac
}

# Stop the system broker if it runs, and keep it from starting at boot. Cheap when it is
# already stopped and disabled, so the fast path can afford it.
stop_system_service() {
  if [ -d /run/systemd/system ]; then
    # systemd is the init system: the unit is the source of truth.
    if systemctl is-active --quiet mosquitto.service || systemctl is-enabled --quiet mosquitto.service 2>/dev/null; then
      log "stopping and disabling the system service mosquitto.service (tests start their own brokers)"
      systemctl disable --now mosquitto.service >&2 || warn "could not disable mosquitto.service"
    fi
  else
    # No systemd (containers, sysvinit): the init script and its pid file.
    local pid
    pid=$(system_broker_pid)
    if [ -n "$pid" ]; then
      log "stopping the system mosquitto (pid $pid); tests start their own brokers"
      start-stop-daemon --stop --quiet --retry 10 --pidfile "$SYSTEM_PID_FILE" --exec "$BROKER_BIN" ||
        warn "could not stop the system mosquitto (pid $pid)"
    fi
    # Disable both boot paths the package enables: the init script's rc links and the systemd
    # unit's symlink (used if this machine later boots with systemd). update-rc.d does both.
    if command -v update-rc.d >/dev/null 2>&1 && {
      compgen -G '/etc/rc[2-5].d/S*mosquitto' >/dev/null ||
        { command -v systemctl >/dev/null 2>&1 && systemctl is-enabled --quiet mosquitto.service 2>/dev/null; }
    }; then
      log "disabling the mosquitto service at boot"
      update-rc.d mosquitto disable >/dev/null 2>&1 || warn "could not disable the mosquitto service"
    fi
  fi
}

# apt-get install the package while keeping maintainer scripts from starting the service:
# a policy-rc.d that answers 101 ("action forbidden") is the Debian way to say so. An existing
# policy-rc.d (Docker images ship one that forbids everything) is left alone.
apt_install() {
  local own_policy=0 rc=0
  if [ ! -e "$POLICY_RC_D" ]; then
    printf '#!/bin/sh\n# Temporary, from %s: no service starts during the install.\nexit 101\n' \
      "$(basename "$0")" >"$POLICY_RC_D"
    chmod 755 "$POLICY_RC_D"
    own_policy=1
    # Removed even when apt-get fails or we are interrupted.
    trap 'rm -f "$POLICY_RC_D"' EXIT
  fi
  apt-get install -y --no-install-recommends "$PKG" >&2 || rc=$?
  if [ "$own_policy" = 1 ]; then
    rm -f "$POLICY_RC_D"
    trap - EXIT
  fi
  return "$rc"
}

main() {
  case "${1:-}" in
    -h | --help) usage; exit 0 ;;
    "") ;;
    *) usage >&2; exit 2 ;;
  esac

  # Fast path: checking needs no root, so non-root callers can use this script as a probe.
  if [ -n "$(installed_version)" ]; then
    is_root && stop_system_service
    already_installed && exit 0
  fi

  if ! is_root; then
    die "mosquitto is not installed and installing it needs root (apt-get).
  Either run this script as root (e.g. sudo $0),
  or install it yourself (sudo apt-get install mosquitto; then stop its service),
  or skip it and set PW_TEST_MQTT_URL to an MQTT 5 broker for the tests (mqtt://host:port)."
  fi

  # Serialise concurrent runs (two test jobs starting at once); apt's own lock would make the
  # second one fail instead of wait.
  exec 9>/run/lock/pledgewatch-install-mosquitto.lock
  if ! flock -n 9; then
    log "another install is running; waiting for it"
    flock 9
  fi
  if [ -n "$(installed_version)" ]; then
    stop_system_service
    already_installed && exit 0
  fi

  if [ -z "$(candidate_version)" ]; then
    phase "apt-get update (the package lists do not know $PKG yet)"
    apt-get update >&2
  fi
  phase "apt-get install $PKG $(candidate_version)"
  # Stale lists point at files the mirror no longer has: refresh them and retry once.
  if ! apt_install; then
    log "retrying after apt-get update"
    apt-get update >&2
    apt_install
  fi

  phase "make sure the system service is not running"
  stop_system_service
  already_installed "installed" || die "$PKG was installed but $BROKER_BIN or $PASSWD_BIN is missing"
}

# "; exit" on the same line: bash reads scripts lazily, so this stops it from reading
# past this point if the file is replaced (e.g. by git pull) while it runs.
main "$@"; exit
