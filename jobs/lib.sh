# Shared by the stage scripts: where things are, and the logwarden command.
# WORK                 working directory of a build (default: work); logs in $WORK/logs, results in $WORK/out
# LOGWARDEN_STATE_DIR  what must survive between builds: the fetch state and the ban ledger
#                      (default: $WORK/state; on Jenkins a fixed path on the agent, see the Jenkinsfile)
# LOGWARDEN            the logwarden command (default: this checkout's bin/logwarden.js, built on first use)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
WORK=${WORK:-work}
LOGWARDEN_STATE_DIR=${LOGWARDEN_STATE_DIR:-$WORK/state}
mkdir -p "$WORK/logs" "$WORK/out" "$LOGWARDEN_STATE_DIR"
WORK=$(cd "$WORK" && pwd)   # absolute: Docker volumes need it
if [ -z "${LOGWARDEN:-}" ]; then
  if [ ! -f dist/cli.js ]; then npm ci --no-audit --no-fund >&2; fi
  LOGWARDEN="node bin/logwarden.js"
fi
lw() { $LOGWARDEN "$@"; }
say() { printf '[logwarden %s] %s\n' "$(basename "$0" .sh)" "$*" >&2; }

# lw_staged OUTDIR COMMAND...: runs a logwarden command in the project's Docker image when Docker is available
# (LOGWARDEN_DOCKER auto, always, never; LOGWARDEN_IMAGE, LOGWARDEN_BASE_IMAGE), else directly. In Docker,
# $WORK is mounted read-only at the same path (the command's paths need no translating) and OUTDIR writable.
lw_staged() {
  local image=${LOGWARDEN_IMAGE:-logwarden:latest} mode=${LOGWARDEN_DOCKER:-auto} stage out=$1
  shift
  stage=$(basename "$0" .sh)
  if [ "$mode" = always ] || { [ "$mode" = auto ] && command -v docker >/dev/null && docker info >/dev/null 2>&1; }; then
    if ! docker image inspect "$image" >/dev/null 2>&1; then
      say "building $image"
      docker build --network host -q -f docker/Dockerfile ${LOGWARDEN_BASE_IMAGE:+--build-arg BASE_IMAGE="$LOGWARDEN_BASE_IMAGE"} -t "$image" . >&2
    fi
    say "running $stage in Docker ($image)"
    docker run --rm --network none --user "$(id -u):$(id -g)" -v "$WORK:$WORK:ro" -v "$out:$out" "$image" "$@"
  else
    say "running $stage directly (no Docker)"
    lw "$@"
  fi
}
