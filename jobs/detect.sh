#!/usr/bin/env bash
# Stage 2 of 3: detect abusive clients in $WORK/logs; results in $WORK/out.
# Runs in the project's Docker image when Docker is available, else the same command directly.
#
# LOGWARDEN_IMAGE        image to run (default: logwarden:latest; built from docker/Dockerfile if missing)
# LOGWARDEN_BASE_IMAGE   base image for that build (default: the Dockerfile's, node:20-bookworm-slim)
# LOGWARDEN_DOCKER       auto (default), always, or never
# LOGWARDEN_DETECT_ARGS  extra detect options, e.g. "--allow-file /etc/logwarden/allow.txt --ipv6-prefix 64"
# WORK, LOGWARDEN_STATE_DIR, LOGWARDEN: see lib.sh
source "$(dirname "$0")/lib.sh"
image=${LOGWARDEN_IMAGE:-logwarden:latest}
mode=${LOGWARDEN_DOCKER:-auto}
# Empty it rather than remove it: it is a Docker volume source, which may still be in use for a moment.
find "$WORK/out" -mindepth 1 -delete
# shellcheck disable=SC2206
extra=(${LOGWARDEN_DETECT_ARGS:-})
use_docker=no
if [ "$mode" = always ] || { [ "$mode" = auto ] && command -v docker >/dev/null && docker info >/dev/null 2>&1; }; then use_docker=yes; fi
if [ "$use_docker" = yes ]; then
  if ! docker image inspect "$image" >/dev/null 2>&1; then
    say "building $image"
    docker build --network host -q -f docker/Dockerfile ${LOGWARDEN_BASE_IMAGE:+--build-arg BASE_IMAGE="$LOGWARDEN_BASE_IMAGE"} -t "$image" . >&2
  fi
  say "running detect in Docker ($image)"
  docker run --rm --network none --user "$(id -u):$(id -g)" \
    -v "$WORK/logs:/data/logs:ro" -v "$WORK/out:/data/out" \
    "$image" detect /data/logs --out /data/out "${extra[@]}"
else
  say "running detect directly (no Docker)"
  lw detect "$WORK/logs" --out "$WORK/out" "${extra[@]}"
fi
