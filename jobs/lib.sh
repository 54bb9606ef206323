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
