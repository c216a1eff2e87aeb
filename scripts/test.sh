#!/usr/bin/env bash
# The test command (`npm test`): type-check, then the whole vitest suite against a real TimescaleDB.
#
# With DATABASE_URL set, that server is used (the suite creates and drops its own databases on it).
# Without it, TimescaleDB is installed if missing (needs root) and a throwaway cluster is started
# on a free port on 127.0.0.1, then stopped when the suite ends, pass or fail.
# It never skips the real database: if it cannot get one, it fails and says how to get one.
# Likewise for MQTT: with PW_TEST_MQTT_URL set, the external-broker tests use that broker; without
# it, Debian's mosquitto is installed if missing (needs root) and a throwaway broker is started.
# And for the map's browser tests: with PW_TEST_CHROMIUM set, that browser is used; without it,
# Debian's chromium is installed if missing (needs root).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
PW_LOG_TAG='test'
# shellcheck source=scripts/lib.sh
. "$SCRIPT_DIR/lib.sh"
cd "$ROOT"

cluster_dir=""
mqtt_dir=""
cleanup() {
  if [ -n "$cluster_dir" ]; then
    "$SCRIPT_DIR/pg-cluster.sh" stop "$cluster_dir" || true
  fi
  if [ -n "$mqtt_dir" ]; then
    "$SCRIPT_DIR/mosquitto.sh" stop "$mqtt_dir" || true
  fi
}
trap cleanup EXIT

if [ -z "${DATABASE_URL:-}" ]; then
  # Idempotent: returns at once when TimescaleDB is already installed; without root it only
  # checks, and fails with how to get a database.
  "$SCRIPT_DIR/install-timescaledb.sh"
  cluster_dir=$(mktemp -d /tmp/pledgewatch-test-pg.XXXXXX)
  DATABASE_URL=$("$SCRIPT_DIR/pg-cluster.sh" start "$cluster_dir")
  export DATABASE_URL
  log "throwaway TimescaleDB cluster at $DATABASE_URL"
else
  log "using the database given in DATABASE_URL"
fi

if [ -z "${PW_TEST_MQTT_URL:-}" ]; then
  # Idempotent: returns at once when mosquitto is installed (as root, also stops its system
  # service); without root it only checks, and fails with how to get a broker.
  "$SCRIPT_DIR/install-mosquitto.sh"
  mqtt_dir=$(mktemp -d /tmp/pledgewatch-test-mqtt.XXXXXX)
  PW_TEST_MQTT_URL=$("$SCRIPT_DIR/mosquitto.sh" start "$mqtt_dir")
  export PW_TEST_MQTT_URL
  log "throwaway mosquitto broker at $PW_TEST_MQTT_URL"
else
  log "using the MQTT broker given in PW_TEST_MQTT_URL"
fi

if [ -z "${PW_TEST_CHROMIUM:-}" ]; then
  # Idempotent: returns at once when chromium is installed; without root it only checks, and
  # fails with how to get a browser.
  PW_TEST_CHROMIUM=$("$SCRIPT_DIR/install-chromium.sh")
  export PW_TEST_CHROMIUM
  log "chromium for the browser tests at $PW_TEST_CHROMIUM"
else
  log "using the browser given in PW_TEST_CHROMIUM"
fi

# The satellite reader's libdeflate addon: built (installing libdeflate-dev when missing, as root),
# and its tests then required rather than skipped.
"$SCRIPT_DIR/build-native-inflate.sh" >/dev/null
export PW_REQUIRE_NATIVE_INFLATE=1

log "type-check"
npx tsc --noEmit -p tsconfig.json
npx tsc --noEmit -p web/tsconfig.json

log "vitest"
npx vitest run "$@"
