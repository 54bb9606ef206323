#!/usr/bin/env bash
# Stage 3 of 3: ban $WORK/out/blocklist.txt on every target host, then email the people responsible.
# Notification is sent even when some hosts failed, so that they hear of it; the stage then fails.
#
# LOGWARDEN_HOSTS          target hosts, space- or comma-separated: user@host[:port], local  (or LOGWARDEN_HOSTS_FILE)
# LOGWARDEN_HOSTS_FILE     file of target hosts with per-host options
# LOGWARDEN_BACKEND        ipset (default), nftables or iptables
# LOGWARDEN_SSH_KEY        private key (Jenkins: sshUserPrivateKey credential)
# LOGWARDEN_KNOWN_HOSTS    known_hosts file (default: ~/.ssh/known_hosts)
# LOGWARDEN_BAN_TIME       first ban length (default 24h; doubles for repeat offenders)
# LOGWARDEN_BLOCK_ARGS     extra block options, e.g. "--allow-file /etc/logwarden/allow.txt --sudo"
# DRY_RUN                  true: print the plan and the commands, change nothing
# LOGWARDEN_NOTIFY_TO      recipients, comma-separated; unset: no email
# LOGWARDEN_SMTP_HOST, LOGWARDEN_SMTP_PORT, LOGWARDEN_SMTP_SECURITY, LOGWARDEN_SMTP_USER, LOGWARDEN_SMTP_PASSWORD
#                          SMTP server (no host: the message is written to $WORK/out/notification.eml)
# LOGWARDEN_REPORT_URL     where the report can be read (Jenkins: "${BUILD_URL}logwarden_20report/")
# WORK, LOGWARDEN_STATE_DIR, LOGWARDEN: see lib.sh
source "$(dirname "$0")/lib.sh"
args=(block --in "$WORK/out" --ledger "$LOGWARDEN_STATE_DIR/ledger.json" --backend "${LOGWARDEN_BACKEND:-ipset}" --ban-time "${LOGWARDEN_BAN_TIME:-24h}")
for h in ${LOGWARDEN_HOSTS//,/ }; do args+=(--hosts "$h"); done
[ -n "${LOGWARDEN_HOSTS_FILE:-}" ] && args+=(--hosts-file "$LOGWARDEN_HOSTS_FILE")
[ -n "${LOGWARDEN_SSH_KEY:-}" ] && args+=(--ssh-key "$LOGWARDEN_SSH_KEY")
[ -n "${LOGWARDEN_KNOWN_HOSTS:-}" ] && args+=(--known-hosts "$LOGWARDEN_KNOWN_HOSTS")
[ "${DRY_RUN:-false}" = true ] && args+=(--dry-run)
# shellcheck disable=SC2206
args+=(${LOGWARDEN_BLOCK_ARGS:-})
status=0
lw "${args[@]}" || status=$?
if [ -n "${LOGWARDEN_NOTIFY_TO:-}" ]; then
  lw notify --in "$WORK/out" --to "$LOGWARDEN_NOTIFY_TO" || { s=$?; [ "$status" -ne 0 ] || status=$s; }
else
  say "LOGWARDEN_NOTIFY_TO is not set: no notification"
fi
exit "$status"
