#!/usr/bin/env bash
# After a deploy: the service answers through its URL — /health 200 (healthy) and one read of
# the API (GET /api/users 200). Retries for up to a minute (DNS, a target turning healthy).
#   deploy/ci/smoke.sh [--dry-run] URL
set -euo pipefail
dry_run=''
if [ "${1:-}" = --dry-run ]; then dry_run=1; shift; fi
url=${1:?usage: smoke.sh [--dry-run] URL}
url=${url%/}
check() { # path expected-text
  printf '+ curl -sf %s%s\n' "$url" "$1"
  [ -n "$dry_run" ] && return 0
  for _ in $(seq 1 12); do
    if body=$(curl -sf --max-time 10 "$url$1") && grep -q "$2" <<<"$body"; then return 0; fi
    sleep 5
  done
  echo "smoke: $url$1 did not answer 200 with $2" >&2; return 1
}
check /health '"status":"healthy"'
check /api/users '"users"'
echo "smoke test passed: $url${dry_run:+ (dry run: nothing was requested)}"
