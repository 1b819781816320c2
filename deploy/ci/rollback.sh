#!/usr/bin/env bash
# The deploy workflow's way back when the smoke test fails after a deploy that ECS found stable:
#   deploy/ci/rollback.sh [--dry-run] --stage dev|prod --record
#       before the deploy: the task definition the service runs now, as previous=ARN (also to
#       $GITHUB_OUTPUT);
#   deploy/ci/rollback.sh [--dry-run] --stage dev|prod --to ARN
#       after a failed smoke test: the service updated back to ARN, waited for until it is stable
#       (ECS's own waiter, up to 10 minutes); fails when it is not.
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
if ! ask "" aws ecs wait services-stable --cluster "$cluster" --services "$service" >/dev/null; then
  echo "rollback: $cluster/$service did not become stable on $to within the waiter's 10 minutes: see the service's events in the ECS console" >&2
  exit 1
fi
echo "rolled back: $cluster/$service runs $to again${dry_run:+ (dry run: nothing was changed)}"
