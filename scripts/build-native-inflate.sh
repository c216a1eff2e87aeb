#!/usr/bin/env bash
# Build the libdeflate inflate addon that the satellite reader uses to decode COG blocks
# (ingest/tile/native/inflate.c -> ingest/tile/native/build/inflate.node). Without it, the reader
# falls back to Node's zlib, which gives the same pixels 2.2x slower, and says so in the log.
#
# Needs gcc, Node's headers (node_api.h, shipped with Node) and libdeflate's header and library
# (Debian's libdeflate-dev, installed here when missing and we are root). Idempotent: returns at
# once when the addon is newer than its source.
#
#   build-native-inflate.sh                 build, or fail saying what is missing
#   build-native-inflate.sh --if-possible   build when libdeflate is already there, else say why
#                                           not and exit 0 (run by npm install; installs nothing)
#
# stdout: the addon's path (one line) when built. Logs go to stderr.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
PW_LOG_TAG=build-native-inflate
# shellcheck source=scripts/lib.sh
. "$SCRIPT_DIR/lib.sh"

SOURCE="$ROOT/ingest/tile/native/inflate.c"
ADDON="$ROOT/ingest/tile/native/build/inflate.node"
export DEBIAN_FRONTEND=noninteractive

lenient=0
case "${1:-}" in
  -h | --help)
    sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
  --if-possible) lenient=1 ;;
  "") ;;
  *) die "unknown argument: $1" ;;
esac

# Prints why the addon cannot be built and stops: an error, or a note with --if-possible.
cannot_build() {
  if [ "$lenient" = 1 ]; then
    log "not built: $* (the satellite reader uses Node's zlib instead; run scripts/build-native-inflate.sh to build it)"
    exit 0
  fi
  die "$*"
}

node_include_dir() {
  local prefix
  prefix=$(node -p 'require("node:path").resolve(process.execPath, "..", "..")')
  for dir in "${npm_config_nodedir:-}/include/node" "$prefix/include/node" /usr/include/node /usr/local/include/node; do
    if [ -f "$dir/node_api.h" ]; then
      printf '%s\n' "$dir"
      return 0
    fi
  done
  return 1
}

has_libdeflate() {
  printf '#include <libdeflate.h>\nint main(void){libdeflate_free_decompressor(libdeflate_alloc_decompressor());return 0;}\n' |
    gcc -x c - -o /dev/null -ldeflate >/dev/null 2>&1
}

install_libdeflate() {
  is_root || cannot_build "libdeflate's header is missing and installing it needs root: sudo apt-get install libdeflate-dev"
  command -v apt-get >/dev/null 2>&1 || cannot_build "libdeflate's header is missing and there is no apt-get: install libdeflate (headers and library)"
  exec 9>/run/lock/pledgewatch-install-libdeflate.lock
  flock 9
  has_libdeflate && return 0
  phase "apt-get install libdeflate-dev"
  if ! apt-get install -y --no-install-recommends libdeflate-dev >&2; then
    log "retrying after apt-get update"
    apt-get update >&2 || cannot_build "apt-get update failed"
    apt-get install -y --no-install-recommends libdeflate-dev >&2 || cannot_build "apt-get install libdeflate-dev failed"
  fi
  has_libdeflate || cannot_build "libdeflate-dev was installed but a test program does not link with -ldeflate"
}

if [ -f "$ADDON" ] && [ "$ADDON" -nt "$SOURCE" ]; then
  printf '%s\n' "$ADDON"
  exit 0
fi
command -v gcc >/dev/null 2>&1 || cannot_build "gcc is not installed"
include_dir=$(node_include_dir) || cannot_build "Node's headers (node_api.h) were not found next to $(command -v node)"
if ! has_libdeflate; then
  [ "$lenient" = 1 ] && cannot_build "libdeflate-dev is not installed"
  install_libdeflate
fi

mkdir -p "$(dirname "$ADDON")"
# Built beside, then renamed: a reader never loads a half-written addon.
gcc -shared -fPIC -O2 -Wall -Wextra -Werror -I"$include_dir" -o "$ADDON.tmp" "$SOURCE" -ldeflate >&2 ||
  cannot_build "gcc failed on $SOURCE"
mv "$ADDON.tmp" "$ADDON"
log "built $ADDON"
printf '%s\n' "$ADDON"
