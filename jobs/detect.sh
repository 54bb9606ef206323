#!/usr/bin/env bash
# Stage 2 of 3: detect abusive clients in $WORK/logs, or in the partial tables in $WORK/tables when the logs were
# read on several agents (jobs/aggregate.sh); results in $WORK/out.
# Runs in the project's Docker image when Docker is available, else the same command directly.
#
# LOGWARDEN_IMAGE        image to run (default: logwarden:latest; built from docker/Dockerfile if missing)
# LOGWARDEN_BASE_IMAGE   base image for that build (default: the Dockerfile's, node:20-bookworm-slim)
# LOGWARDEN_DOCKER       auto (default), always, or never
# LOGWARDEN_DETECT_ARGS  extra detect options, e.g. "--allow-file /etc/logwarden/allow.txt --ipv6-prefix 64"
# WORK, LOGWARDEN_STATE_DIR, LOGWARDEN: see lib.sh
source "$(dirname "$0")/lib.sh"
# Empty it rather than remove it: it is a Docker volume source, which may still be in use for a moment.
find "$WORK/out" -mindepth 1 -delete
# shellcheck disable=SC2206
extra=(${LOGWARDEN_DETECT_ARGS:-})
if compgen -G "$WORK/tables/*.lwtable" >/dev/null; then
  say "merging $(find "$WORK/tables" -name '*.lwtable' | wc -l) partial tables"
  lw_staged "$WORK/out" detect --tables "$WORK/tables" --out "$WORK/out" "${extra[@]}"
else
  lw_staged "$WORK/out" detect "$WORK/logs" --out "$WORK/out" "${extra[@]}"
fi
