#!/usr/bin/env bash
# npm audit of what ships (no dev dependencies): fails on a high or critical advisory. When the
# registry's audit service cannot be reached (this CI machine's network refuses its POSTs),
# that is printed loudly and the check cannot judge: it does not pass silently as "clean".
set -uo pipefail
out=$(npm audit --omit=dev --audit-level=high 2>&1)
status=$?
printf '%s\n' "$out"
if grep -qE 'audit endpoint returned an error|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|403 Forbidden|405 Method Not Allowed' <<<"$out"; then
  echo "!!!!! npm audit could not reach the registry's audit service: NOT CHECKED on this machine !!!!!"
  exit 0
fi
exit "$status"
