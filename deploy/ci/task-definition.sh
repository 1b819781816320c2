#!/usr/bin/env bash
# Writes the service's current task definition (the family the stack created) to OUT, without
# the fields ECS adds, for the render and deploy actions to take it from there:
#   deploy/ci/task-definition.sh [--dry-run] --stage dev|prod OUT
# The stack stays the one source of truth: the workflow only swaps the two image digests.
set -euo pipefail
dry_run='' stage=''
while [ $# -gt 1 ]; do
  case $1 in
    --dry-run) dry_run=1 ;;
    --stage) stage=${2:?}; shift ;;
    *) echo "task-definition: unknown argument $1" >&2; exit 1 ;;
  esac
  shift
done
out=${1:?usage: task-definition.sh [--dry-run] --stage dev|prod OUT}
[[ $stage =~ ^(dev|prod)$ ]] || { echo "task-definition: --stage must be dev or prod" >&2; exit 1; }
family=ecs-microservice-$stage
printf '+ aws ecs describe-task-definition --task-definition %s --query taskDefinition\n' "$family" >&2
if [ -n "$dry_run" ]; then
  current="{\"family\":\"$family\",\"containerDefinitions\":[{\"name\":\"app\",\"image\":\"app@sha256:0\"},{\"name\":\"nginx\",\"image\":\"nginx@sha256:0\"}],\"revision\":7,\"status\":\"ACTIVE\"}"
else
  current=$(aws ecs describe-task-definition --task-definition "$family" --query taskDefinition --output json)
fi
node -e '
  const td = JSON.parse(process.argv[1])
  for (const key of ["taskDefinitionArn", "revision", "status", "requiresAttributes", "compatibilities", "registeredAt", "registeredBy", "deregisteredAt"]) delete td[key]
  require("node:fs").writeFileSync(process.argv[2], JSON.stringify(td, null, 2))
' "$current" "$out"
echo "task definition of $family written to $out"
