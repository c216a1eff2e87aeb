#!/usr/bin/env bash
# Install Debian's GDAL command-line tools and Python bindings, the reference reader the satellite
# benchmark compares PledgeWatch's own COG reading with (`npm run bench -- --suite satellite`).
# Only the benchmark needs it; the service and the tests do not.
#
# Idempotent: when gdalinfo and the bindings are there it prints the version and exits (no root,
# no network); otherwise apt-get install gdal-bin python3-gdal (apt-get update only when the
# package lists do not know them).
#
# stdout: the GDAL version (one line). Logs go to stderr.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PW_LOG_TAG=install-gdal
# shellcheck source=scripts/lib.sh
. "$SCRIPT_DIR/lib.sh"

# Debian's bindings are built for Debian's own interpreter, not for whatever python3 is first on
# PATH (a pyenv one, say).
DEBIAN_PYTHON=/usr/bin/python3
PACKAGES=(gdal-bin python3-gdal)
export DEBIAN_FRONTEND=noninteractive

gdal_version() {
  command -v gdalinfo >/dev/null 2>&1 || return 1
  "$DEBIAN_PYTHON" -c 'from osgeo import gdal; print(gdal.__version__)' 2>/dev/null
}

main() {
  case "${1:-}" in
    -h | --help)
      echo "Usage: $(basename "$0")   installs gdal-bin and python3-gdal (root) and prints the GDAL version"
      exit 0
      ;;
    "") ;;
    *) die "unknown argument: $1" ;;
  esac

  local version
  if version=$(gdal_version); then
    log "GDAL $version is already installed"
    printf '%s\n' "$version"
    exit 0
  fi
  is_root || die "GDAL is not installed and installing it needs root: sudo apt-get install ${PACKAGES[*]}"

  exec 9>/run/lock/pledgewatch-install-gdal.lock
  flock 9
  if version=$(gdal_version); then
    printf '%s\n' "$version"
    exit 0
  fi
  if ! apt-cache policy gdal-bin 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    phase "apt-get update (the package lists do not know gdal-bin yet)"
    apt-get update >&2
  fi
  phase "apt-get install ${PACKAGES[*]}"
  if ! apt-get install -y --no-install-recommends "${PACKAGES[@]}" >&2; then
    log "retrying after apt-get update"
    apt-get update >&2
    apt-get install -y --no-install-recommends "${PACKAGES[@]}" >&2
  fi
  version=$(gdal_version) || die "gdal-bin and python3-gdal were installed but $DEBIAN_PYTHON cannot import osgeo.gdal"
  log "GDAL $version installed"
  printf '%s\n' "$version"
}

main "$@"; exit
