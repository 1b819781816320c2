# shellcheck shell=bash
# Sourced by the deploy scripts (deploy/ci/migrate.sh, deploy/infra/scripts/deploy.sh).

# ask ANSWER COMMAND...: prints the command (to stderr) and runs it; in a dry run ($dry_run set
# by the caller) prints ANSWER as its output instead, so the steps after it can be followed.
ask() {
  local answer=$1; shift
  printf '+ %s\n' "$*" >&2
  # shellcheck disable=SC2154 # dry_run is the caller's
  if [ -n "$dry_run" ]; then printf '%s\n' "$answer"; else "$@"; fi
}
