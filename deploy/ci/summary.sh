#!/usr/bin/env bash
# The deploy job's summary (to $GITHUB_STEP_SUMMARY, or printed): the images by digest, the
# task definition revision the service runs, and the URL.
#   deploy/ci/summary.sh APP_IMAGE NGINX_IMAGE TASK_DEFINITION_ARN URL
set -euo pipefail
[ $# -eq 4 ] || { echo "usage: summary.sh APP_IMAGE NGINX_IMAGE TASK_DEFINITION_ARN URL" >&2; exit 1; }
{
  echo "## Deployed"
  echo
  echo "| | |"
  echo "|---|---|"
  echo "| app image | \`$1\` |"
  echo "| nginx image | \`$2\` |"
  echo "| task definition | \`$3\` (revision ${3##*:}) |"
  echo "| service | $4 |"
} | tee -a "${GITHUB_STEP_SUMMARY:-/dev/null}"
