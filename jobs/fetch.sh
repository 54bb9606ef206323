#!/usr/bin/env bash
# Stage 1 of 3: fetch access logs into $WORK/logs (with manifest.json).
#
# LOGWARDEN_SOURCES      sources, space- or comma-separated: ssh://user@host/var/log/nginx/access.log*,
#                        git+https://github.com/org/logs.git#main:web-1, github:org/repo#ref:path, https://..., paths
# LOGWARDEN_SSH_KEY      private key for ssh:// sources (Jenkins: sshUserPrivateKey credential)
# LOGWARDEN_KNOWN_HOSTS  known_hosts file (default: ~/.ssh/known_hosts)
# GITHUB_TOKEN           token for private GitHub repositories (Jenkins: secret text credential); never printed
# WORK, LOGWARDEN_STATE_DIR, LOGWARDEN: see lib.sh
# Exit: 0 all sources fetched, 4 some failed (the rest was fetched), 3 none could be reached, 2 usage.
source "$(dirname "$0")/lib.sh"
: "${LOGWARDEN_SOURCES:?set LOGWARDEN_SOURCES to the log sources}"
# Empty it rather than remove it: it is a Docker volume source, which may still be in use for a moment.
find "$WORK/logs" -mindepth 1 -delete
args=(fetch --out "$WORK/logs" --state "$LOGWARDEN_STATE_DIR/fetch-state.json" --git-cache "$LOGWARDEN_STATE_DIR/git")
[ -n "${LOGWARDEN_SSH_KEY:-}" ] && args+=(--ssh-key "$LOGWARDEN_SSH_KEY")
[ -n "${LOGWARDEN_KNOWN_HOSTS:-}" ] && args+=(--known-hosts "$LOGWARDEN_KNOWN_HOSTS")
# Sources are words; their globs are for logwarden (remote or local), not for this shell.
set -f
# shellcheck disable=SC2206
sources=(${LOGWARDEN_SOURCES//,/ })
set +f
say "fetching ${#sources[@]} sources"
lw "${args[@]}" "${sources[@]}"
