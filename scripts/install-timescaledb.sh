#!/usr/bin/env bash
# Install TimescaleDB for PostgreSQL 15 on Debian 12 (bookworm).
#
# Why a rebuild: bookworm ships PostgreSQL 15 but no TimescaleDB package, and trixie's
# binary packages need a newer libc. Trixie's *source* package, rebuilt against
# bookworm's PostgreSQL 15, gives a real dpkg-tracked postgresql-15-timescaledb
# (the Apache-2 edition Debian ships) in well under a minute of compile time.
#
# Idempotent:
#   - already installed            -> print the version, exit 0 (no root needed)
#   - a .deb is in the local cache -> install it (about 3 s)
#   - otherwise                    -> build from source, cache the .deb, install it
#
# stdout: the installed package version (one line). Logs go to stderr.
#
# Environment:
#   PW_CACHE_DIR    cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/pledgewatch);
#                   the built .deb and the last build log live in PW_CACHE_DIR/timescaledb/
#   PW_KEEP_BUILD=1 keep the temporary build directory (for debugging a failed build)
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PW_LOG_TAG=install-timescaledb
# shellcheck source=scripts/lib.sh
. "$SCRIPT_DIR/lib.sh"

PG_MAJOR=15
PKG=postgresql-${PG_MAJOR}-timescaledb
CONTROL_FILE=/usr/share/postgresql/${PG_MAJOR}/extension/timescaledb.control
# The suite whose source package we rebuild, and the suffix marking our local build
# (sorts below any official bookworm-backports version of the same upstream release).
SOURCE_SUITE=trixie
LOCAL_SUFFIX='~bpo12+local1'
BUILD_DEPS=(build-essential cmake dpkg-dev debhelper
  "postgresql-${PG_MAJOR}" "postgresql-server-dev-${PG_MAJOR}" postgresql-server-dev-all)
ARCHIVE_KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
CACHE_DIR=${PW_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pledgewatch}/timescaledb

export DEBIAN_FRONTEND=noninteractive

usage() {
  cat <<EOF
Usage: $(basename "$0") [--help]

Installs postgresql-${PG_MAJOR}-timescaledb on Debian 12 by rebuilding the Debian ${SOURCE_SUITE}
source package (needs root and access to the Debian archive). Built packages are
cached in: ${CACHE_DIR}
Prints the installed version on stdout.
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

# Succeeds (and prints the version on stdout) when the extension is fully installed.
# $1: what to say in the log ("is already installed" unless given).
already_installed() {
  local version
  version=$(installed_version)
  [ -n "$version" ] && [ -f "$CONTROL_FILE" ] || return 1
  log "$PKG $version ${1:-is already installed}"
  printf '%s\n' "$version"
}

# The Debian archive the system already uses, taken from its apt sources, so that we
# reach the same mirror (or proxy) as apt itself. Only http(s) URIs whose path ends in
# /debian qualify (this skips debian-security, snapshots and third-party repos).
debian_archive_uri() {
  local uri
  uri=$(
    {
      # deb822 files: one stanza per paragraph; skip stanzas with "Enabled: no".
      for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk 'BEGIN { RS = ""; FS = "\n" }
          {
            enabled = 1; uris = ""
            for (i = 1; i <= NF; i++) {
              line = $i
              if (line ~ /^[[:space:]]*#/) continue
              if (tolower(line) ~ /^enabled:[[:space:]]*no/) enabled = 0
              if (tolower(line) ~ /^uris:/) { sub(/^[^:]*:[[:space:]]*/, "", line); uris = uris " " line }
            }
            if (enabled) { n = split(uris, u, /[[:space:]]+/); for (j = 1; j <= n; j++) if (u[j] != "") print u[j] }
          }' "$f"
      done
      # One-line format: "deb [options] URI suite components..."
      for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        sed -E -n 's/^[[:space:]]*deb(-src)?[[:space:]]+(\[[^]]*\][[:space:]]+)?([^[:space:]]+).*/\3/p' "$f"
      done
    } | grep -E '^https?://[^[:space:]]+/debian/?$' | head -n 1 || true
  )
  printf '%s\n' "${uri:-http://deb.debian.org/debian}"
}

# Newest cached .deb for this architecture, if any.
cached_deb() {
  local arch
  arch=$(dpkg --print-architecture)
  find "$CACHE_DIR" -maxdepth 1 -type f -name "${PKG}_*_${arch}.deb" 2>/dev/null | sort -V | tail -n 1
}

# apt-get install a local .deb. It is copied to a directory the _apt sandbox user can
# read first: the cache usually lives under /root, and apt would otherwise warn that it
# falls back to reading the file unsandboxed.
install_deb() {
  local deb=$1 staging rc=0
  staging=$(mktemp -d "${TMPDIR:-/tmp}/pw-timescaledb-deb.XXXXXX")
  cp "$deb" "$staging/"
  chmod 755 "$staging"
  chmod 644 "$staging/$(basename "$deb")"
  apt-get install -y --no-install-recommends "$staging/$(basename "$deb")" >&2 || rc=$?
  rm -rf "$staging"
  return "$rc"
}

main() {
  case "${1:-}" in
    -h | --help) usage; exit 0 ;;
    "") ;;
    *) usage >&2; exit 2 ;;
  esac

  # Fast path first: checking needs no root, so non-root callers can use it as a probe.
  already_installed && exit 0

  if ! is_root; then
    die "TimescaleDB is not installed and installing it needs root (apt-get, dpkg).
  Either run this script as root (e.g. sudo $0),
  or skip it and set DATABASE_URL to an existing PostgreSQL server that has TimescaleDB."
  fi

  # shellcheck source=/dev/null
  . /etc/os-release
  if [ "${VERSION_CODENAME:-}" != bookworm ]; then
    die "this recipe is for Debian 12 (bookworm); this system is '${PRETTY_NAME:-unknown}'.
  Install TimescaleDB another way, or set DATABASE_URL to an existing TimescaleDB server."
  fi

  mkdir -p "$CACHE_DIR"
  # Serialise concurrent runs (e.g. two test jobs starting at once); the second one
  # then finds the package installed.
  exec 9>"$CACHE_DIR/.lock"
  if ! flock -n 9; then
    log "another install is running; waiting for it"
    flock 9
  fi
  already_installed && exit 0

  local deb
  deb=$(cached_deb)
  if [ -n "$deb" ]; then
    phase "install cached package $(basename "$deb")"
    # Try with the current package lists first (fast); if a dependency (the upgraded
    # postgresql-15 minor version) is not known yet, refresh the lists and retry.
    if install_deb "$deb" || { log "retrying after apt-get update"; apt-get update >&2 && install_deb "$deb"; }; then
      already_installed "installed from the cache" && exit 0
    fi
    warn "could not install the cached package; rebuilding from source"
  fi

  build_and_install
  already_installed "built and installed" || die "$PKG was built and installed but $CONTROL_FILE is missing"
}

build_and_install() {
  phase "apt-get update"
  apt-get update >&2

  # Note: this upgrades postgresql-15 to bookworm's latest minor release; the package we
  # build depends on that version, so it is expected.
  phase "install build dependencies: ${BUILD_DEPS[*]}"
  apt-get install -y --no-install-recommends "${BUILD_DEPS[@]}" >&2

  local work
  work=$(mktemp -d "${TMPDIR:-/tmp}/pw-timescaledb-build.XXXXXX")
  if [ "${PW_KEEP_BUILD:-0}" = 1 ]; then
    log "keeping build directory $work"
  else
    # shellcheck disable=SC2064 # expand $work now: it is local to this function
    trap "rm -rf '$work'" EXIT
  fi
  # apt downloads as the unprivileged _apt user; it must be able to reach and write
  # these directories, else apt warns and falls back to downloading as root.
  chmod 755 "$work"
  mkdir -p "$work/apt/lists/partial" "$work/apt/cache/archives/partial" "$work/src"

  # A private apt state containing only the trixie deb-src line: the system's sources,
  # lists and caches are never touched, so nothing from trixie can be installed by
  # accident. apt verifies the downloaded files against trixie's signed Release file.
  local archive
  archive=$(debian_archive_uri)
  printf 'deb-src [signed-by=%s] %s %s main\n' "$ARCHIVE_KEYRING" "$archive" "$SOURCE_SUITE" \
    >"$work/apt/sources.list"
  chown -R _apt:root "$work/apt" "$work/src"
  local private_apt=(apt-get
    -o "Dir::Etc::sourcelist=$work/apt/sources.list"
    -o "Dir::Etc::sourceparts=-"
    -o "Dir::State::Lists=$work/apt/lists"
    -o "Dir::Cache=$work/apt/cache")

  phase "fetch timescaledb source package from $archive $SOURCE_SUITE (private apt state)"
  "${private_apt[@]}" update >&2
  (cd "$work/src" && "${private_apt[@]}" source --download-only timescaledb >&2)

  phase "unpack source package"
  # dpkg-source will warn that it cannot verify the .dsc's maintainer signature (that
  # needs the large debian-keyring package). That is expected and safe: apt already
  # checked every downloaded file's hash against trixie's signed Release file.
  local dsc
  dsc=$(find "$work/src" -maxdepth 1 -name 'timescaledb_*.dsc' | head -n 1)
  [ -n "$dsc" ] || die "no timescaledb .dsc was downloaded"
  dpkg-source -x "$dsc" "$work/build" >&2

  phase "retarget the package at PostgreSQL $PG_MAJOR"
  cd "$work/build"
  # pg_buildext builds for the versions listed in debian/pgversions and regenerates
  # debian/control from control.in (postgresql-17-timescaledb -> postgresql-15-timescaledb).
  echo "$PG_MAJOR" >debian/pgversions
  pg_buildext updatecontrol >&2
  add_changelog_entry
  # Only informative: the build uses -d because trixie's source names virtual build
  # dependencies bookworm lacks (architecture-is-64-bit, postgresql-all, ...).
  dpkg-checkbuilddeps 2>&1 | sed 's/^/  (ignored, building with -d) /' >&2 || true

  phase "build $(dpkg-parsechangelog -S Version) with $(nproc) jobs (log: $CACHE_DIR/build.log)"
  if ! DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" DEB_BUILD_PROFILES=nocheck \
    dpkg-buildpackage -us -uc -b -d >"$CACHE_DIR/build.log" 2>&1; then
    tail -n 40 "$CACHE_DIR/build.log" >&2
    die "dpkg-buildpackage failed; full log in $CACHE_DIR/build.log"
  fi

  phase "cache the built package in $CACHE_DIR"
  local built
  built=$(find "$work" -maxdepth 1 -name "${PKG}_*.deb" | head -n 1)
  [ -n "$built" ] || die "the build produced no ${PKG} .deb"
  # Keep only the newest build so the cache cannot pick a stale one.
  find "$CACHE_DIR" -maxdepth 1 -name "${PKG}_*.deb" -delete
  cp "$built" "$CACHE_DIR/"
  cd /

  phase "install $(basename "$built")"
  install_deb "$CACHE_DIR/$(basename "$built")"
}

# Prepend a changelog entry by hand (dch would pull in devscripts and its many deps).
add_changelog_entry() {
  local source version
  source=$(dpkg-parsechangelog -S Source)
  version=$(dpkg-parsechangelog -S Version)
  {
    printf '%s (%s%s) bookworm; urgency=medium\n\n' "$source" "$version" "$LOCAL_SUFFIX"
    printf '  * Local rebuild of the %s source for Debian 12, PostgreSQL %s only.\n\n' "$SOURCE_SUITE" "$PG_MAJOR"
    printf ' -- PledgeWatch local build <root@localhost>  %s\n\n' "$(date -R)"
    cat debian/changelog
  } >debian/changelog.new
  mv debian/changelog.new debian/changelog
}

# "; exit" on the same line: bash reads scripts lazily, so this stops it from reading
# past this point if the file is replaced (e.g. by git pull) while it runs.
main "$@"; exit
