# shellcheck shell=bash
# Small helpers shared by the shell scripts in this folder. Source it, do not run it.
#
# All logging goes to stderr so that a script's stdout can carry exactly one
# machine-readable result (a version, a DATABASE_URL) for callers to capture.

# Tag shown in every log line; defaults to the calling script's name without ".sh".
PW_LOG_TAG=${PW_LOG_TAG:-$(basename "$0" .sh)}

# log MESSAGE... -> "[tag] HH:MM:SS MESSAGE" on stderr
log() {
  printf '[%s] %s %s\n' "$PW_LOG_TAG" "$(date +%H:%M:%S)" "$*" >&2
}

# phase NAME... -> marks the start of a step, so slow steps are easy to spot in a log
phase() {
  log "phase: $*"
}

warn() {
  log "warning: $*"
}

# die MESSAGE... -> log an error and exit non-zero
die() {
  log "error: $*"
  exit 1
}

is_root() {
  [ "$(id -u)" -eq 0 ]
}

