#!/usr/bin/env bash
# After detect: hand the model it learned ($WORK/out/model.json) to the machines that run `logwarden watch`.
# watch reads its model again when the file changes; the copy is written beside it and renamed into place,
# so a watcher never reads half a file.
#
# LOGWARDEN_WATCHERS       user@host[:port] of the watch machines, space- or comma-separated; unset: nothing to do
# LOGWARDEN_WATCH_MODEL    the model's path on them (default /var/lib/logwarden/model.json, as the systemd unit has it)
# LOGWARDEN_SSH_KEY        private key (Jenkins: sshUserPrivateKey credential)
# LOGWARDEN_KNOWN_HOSTS    known_hosts file (default: ~/.ssh/known_hosts); unknown host keys are refused
# WORK, LOGWARDEN_STATE_DIR, LOGWARDEN: see lib.sh
source "$(dirname "$0")/lib.sh"
if [ -z "${LOGWARDEN_WATCHERS:-}" ]; then
  say "no LOGWARDEN_WATCHERS: no watcher to refresh"
  exit 0
fi
model="$WORK/out/model.json"
[ -f "$model" ] || { say "$model not found: run detect first"; exit 2; }
dest=${LOGWARDEN_WATCH_MODEL:-/var/lib/logwarden/model.json}
# The path goes into a remote shell command: letters, digits and . _ / - only, absolute, no "..".
if ! [[ "$dest" =~ ^/[A-Za-z0-9._/-]+$ ]] || [[ "$dest" == *..* ]]; then
  say "LOGWARDEN_WATCH_MODEL: expected an absolute path of letters, digits and . _ / -, got \"$dest\""
  exit 2
fi
opts=(-o BatchMode=yes -o StrictHostKeyChecking=yes -o ConnectTimeout=20)
[ -n "${LOGWARDEN_SSH_KEY:-}" ] && opts+=(-i "$LOGWARDEN_SSH_KEY" -o IdentitiesOnly=yes)
[ -n "${LOGWARDEN_KNOWN_HOSTS:-}" ] && opts+=(-o UserKnownHostsFile="$LOGWARDEN_KNOWN_HOSTS")
status=0
for w in ${LOGWARDEN_WATCHERS//,/ }; do
  if ! [[ "$w" =~ ^([A-Za-z0-9._][A-Za-z0-9._-]*)@([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:([0-9]{1,5}))?$ ]]; then
    say "LOGWARDEN_WATCHERS: not user@host[:port]: \"$w\""
    exit 2
  fi
  user=${BASH_REMATCH[1]} host=${BASH_REMATCH[2]} port=${BASH_REMATCH[4]:-22}
  host=${host#[}
  host=${host%]}
  if ssh "${opts[@]}" -p "$port" -l "$user" -- "$host" "cat > '$dest.new' && mv -f '$dest.new' '$dest'" <"$model"; then
    say "$w: model refreshed ($dest)"
  else
    say "$w: could not copy the model"
    status=3
  fi
done
exit "$status"
