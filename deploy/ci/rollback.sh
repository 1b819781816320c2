#!/usr/bin/env bash
# The deploy workflow's way back when the smoke test fails after a deploy that ECS found stable:
#   deploy/ci/rollback.sh [--dry-run] --stage dev|prod --record
#       before the deploy: the task definition the service runs now, as previous=ARN (also to
#       $GITHUB_OUTPUT);
#   deploy/ci/rollback.sh [--dry-run] --stage dev|prod --to ARN
#       after a failed smoke test: the service updated back to ARN, waited for until ECS's
#       deployment of it is COMPLETED (ROLLBACK_WAIT_SECONDS, 1200 like the deploy step's wait);
#       fails when it is not, or when ECS runs another revision.
# ECS rolls a deployment back by itself when its tasks do not turn healthy (the circuit breaker)
# or its alarms fire (deploymentAlarms); this covers what only the smoke test sees.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dry_run='' stage='' mode='' to=''
while [ $# -gt 0 ]; do
  case $1 in
    --dry-run) dry_run=1 ;;
    --stage) stage=${2:?--stage needs dev or prod}; shift ;;
    --record) mode=record ;;
    --to) mode=to to=${2:?--to needs a task definition ARN}; shift ;;
    *) echo "rollback: unknown argument $1" >&2; exit 1 ;;
  esac
  shift
done
[[ $stage =~ ^(dev|prod)$ ]] || { echo "rollback: --stage must be dev or prod" >&2; exit 1; }
[ -n "$mode" ] || { echo "rollback: --record or --to ARN" >&2; exit 1; }
cluster=ecs-microservice-$stage service=ecs-microservice
# shellcheck source=deploy/ci/lib.sh
source "$here/lib.sh"

if [ "$mode" = record ]; then
  previous=$(ask "arn:aws:ecs:eu-west-1:123456789012:task-definition/$cluster:6" \
    aws ecs describe-services --cluster "$cluster" --services "$service" --query 'services[0].taskDefinition' --output text)
  [[ $previous == arn:aws*:ecs:*:task-definition/* ]] || { echo "rollback: the service $cluster/$service runs no task definition ('$previous')" >&2; exit 1; }
  printf 'previous=%s\n' "$previous" | tee -a "${GITHUB_OUTPUT:-/dev/null}"
  exit 0
fi

[[ $to == arn:aws*:ecs:*:task-definition/* ]] || { echo "rollback: not a task definition ARN: '$to' (was the revision recorded before the deploy?)" >&2; exit 1; }
ask "$to" aws ecs update-service --cluster "$cluster" --service "$service" --task-definition "$to" \
  --query 'service.taskDefinition' --output text >/dev/null
# Done when the service's primary deployment is $to and ECS calls its rollout COMPLETED (after
# the bake time of its deployment alarms); not when the count is steady, which a circuit
# breaker's own rollback (to the revision that failed the smoke test) would be too.
wait_seconds=${ROLLBACK_WAIT_SECONDS:-1200} poll=${ROLLBACK_POLL_SECONDS:-15}
deadline=$((SECONDS + wait_seconds))
while :; do
  state=$(ask "$to COMPLETED" aws ecs describe-services --cluster "$cluster" --services "$service" \
    --query "services[0].deployments[?status=='PRIMARY'] | [0].[taskDefinition, rolloutState]" --output text)
  read -r running rollout <<<"$state"
  if [ "$running" != "$to" ]; then
    echo "rollback: $cluster/$service's primary deployment is $running, not $to: ECS rolled it elsewhere (see the service's events in the ECS console)" >&2; exit 1
  fi
  case $rollout in
    COMPLETED) break ;;
    FAILED) echo "rollback: the deployment of $to failed (rolloutState FAILED): see the service's events in the ECS console" >&2; exit 1 ;;
  esac
  [ "$SECONDS" -lt "$deadline" ] || { echo "rollback: $cluster/$service's deployment of $to is still $rollout after ${wait_seconds}s" >&2; exit 1; }
  sleep "$poll"
done
echo "rolled back: $cluster/$service runs $to again${dry_run:+ (dry run: nothing was changed)}"
