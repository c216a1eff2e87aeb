#!/usr/bin/env bash
# Install Debian's chromium (for the map's end-to-end tests, driven by playwright-core), plus a
# font so the map's labels render. `npx playwright install` downloads a browser from a CDN and
# fails on these machines; Debian's package is the one that works (../shared/recipes/browser.md).
#
# Idempotent:
#   - already installed  -> print the browser's path, exit 0 (no root needed, no network)
#   - not installed      -> apt-get install chromium and a font (apt-get update only when the
#                           package lists do not know it or the download fails)
#
# stdout: the path of the chromium executable (one line), for PW_TEST_CHROMIUM. Logs go to stderr.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PW_LOG_TAG=install-chromium
# shellcheck source=scripts/lib.sh
. "$SCRIPT_DIR/lib.sh"

PKG=chromium
# Without recommends chromium may come without any font; labels would be empty boxes.
FONT_PKG=fonts-dejavu-core
BROWSER_BIN=/usr/bin/chromium

export DEBIAN_FRONTEND=noninteractive

usage() {
  cat <<EOF
Usage: $(basename "$0") [--help]

Installs Debian's '$PKG' package and '$FONT_PKG' (needs root and access to the Debian
archive) for the map's browser tests. Prints the browser's path on stdout.
EOF
}

# Version of package $1 if dpkg considers it installed, else nothing.
installed_version() {
  local status
  status=$(dpkg-query -W -f='${db:Status-Status} ${Version}' "$1" 2>/dev/null) || return 0
  case "$status" in
    "installed "*) printf '%s\n' "${status#installed }" ;;
  esac
}

# Succeeds (and prints the browser's path on stdout) when the browser and the font are there.
# $1: what to say in the log ("is already installed" unless given).
already_installed() {
  local version
  version=$(installed_version "$PKG")
  [ -n "$version" ] && [ -x "$BROWSER_BIN" ] && [ -n "$(installed_version "$FONT_PKG")" ] || return 1
  log "$PKG $version ${1:-is already installed}"
  printf '%s\n' "$BROWSER_BIN"
}

# The candidate version apt would install, or nothing when the package lists do not know it.
candidate_version() {
  local candidate
  candidate=$(apt-cache policy "$PKG" 2>/dev/null | sed -n 's/^[[:space:]]*Candidate:[[:space:]]*//p')
  [ "$candidate" = "(none)" ] || printf '%s\n' "$candidate"
}

apt_install() {
  apt-get install -y --no-install-recommends "$PKG" "$FONT_PKG" >&2
}

main() {
  case "${1:-}" in
    -h | --help) usage; exit 0 ;;
    "") ;;
    *) usage >&2; exit 2 ;;
  esac

  # Fast path: checking needs no root, so non-root callers can use this script as a probe.
  already_installed && exit 0

  if ! is_root; then
    die "chromium is not installed and installing it needs root (apt-get).
  Either run this script as root (e.g. sudo $0),
  or install it yourself (sudo apt-get install $PKG $FONT_PKG),
  or set PW_TEST_CHROMIUM to a Chromium or Chrome executable for the tests."
  fi

  # Serialise concurrent runs (two test jobs starting at once); apt's own lock would make the
  # second one fail instead of wait.
  exec 9>/run/lock/pledgewatch-install-chromium.lock
  if ! flock -n 9; then
    log "another install is running; waiting for it"
    flock 9
  fi
  already_installed && exit 0

  if [ -z "$(candidate_version)" ]; then
    phase "apt-get update (the package lists do not know $PKG yet)"
    apt-get update >&2
  fi
  phase "apt-get install $PKG $(candidate_version) $FONT_PKG"
  # Stale lists point at files the mirror no longer has: refresh them and retry once.
  if ! apt_install; then
    log "retrying after apt-get update"
    apt-get update >&2
    apt_install
  fi
  already_installed "installed" || die "$PKG was installed but $BROWSER_BIN is missing"
}

# "; exit" on the same line: bash reads scripts lazily, so this stops it from reading
# past this point if the file is replaced (e.g. by git pull) while it runs.
main "$@"; exit
