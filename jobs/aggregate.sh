#!/usr/bin/env bash
# Stage 1, on one of several agents: fetch this agent's share of the sources and read them into a partial
# table, $WORK/tables/group-K.lwtable, which the detect stage merges with the other agents' (exactly).
# Share K of N: the sources in LOGWARDEN_SOURCES whose position counted from 1 is K, K+N, K+2N, ...
#
# LOGWARDEN_GROUPS       N, how many agents share the sources (default 1)
# LOGWARDEN_GROUP        K, this agent's share, 1..N (default 1)
# LOGWARDEN_SOURCES, LOGWARDEN_SSH_KEY, LOGWARDEN_KNOWN_HOSTS, GITHUB_TOKEN: as for fetch.sh
# LOGWARDEN_AGGREGATE_ARGS  extra aggregate options, e.g. "--ipv6-prefix 64" (the same on every agent)
# LOGWARDEN_IMAGE, LOGWARDEN_DOCKER: as for detect.sh (the reading runs in the image)
# WORK, LOGWARDEN_STATE_DIR, LOGWARDEN: see lib.sh
source "$(dirname "$0")/lib.sh"
: "${LOGWARDEN_SOURCES:?set LOGWARDEN_SOURCES to the log sources}"
groups=${LOGWARDEN_GROUPS:-1}
group=${LOGWARDEN_GROUP:-1}
if ! [[ "$groups" =~ ^[1-9][0-9]*$ && "$group" =~ ^[1-9][0-9]*$ ]] || [ "$group" -gt "$groups" ]; then
  say "LOGWARDEN_GROUP must be 1..LOGWARDEN_GROUPS, got $group of $groups"
  exit 2
fi
set -f
# shellcheck disable=SC2206
all=(${LOGWARDEN_SOURCES//,/ })
set +f
mine=()
for i in "${!all[@]}"; do
  if [ $((i % groups + 1)) -eq "$group" ]; then mine+=("${all[$i]}"); fi
done
mkdir -p "$WORK/tables"
find "$WORK/tables" -mindepth 1 -delete
if [ "${#mine[@]}" -eq 0 ]; then
  say "group $group of $groups: no source falls to it"
  exit 0
fi
say "group $group of $groups: ${#mine[@]} of ${#all[@]} sources"
LOGWARDEN_SOURCES="${mine[*]}" bash "$(dirname "$0")/fetch.sh"
# shellcheck disable=SC2206
extra=(${LOGWARDEN_AGGREGATE_ARGS:-})
lw_staged "$WORK/tables" aggregate "$WORK/logs" --out "$WORK/tables/group-$group.lwtable" "${extra[@]}"
