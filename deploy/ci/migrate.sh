#!/usr/bin/env bash
# Runs the migrations once on Fargate with an app image, before any task of it serves:
# registers a revision of the stack's migration task definition with that image, runs it in the
# stack's subnets and security group, waits for it to stop as long as the migration's own bound
# allows (the task's DB_MIGRATION_TIMEOUT_MS, plus MIGRATE_START_SECONDS, 600, for Fargate to
# start it; then it is stopped), and fails unless it exited 0, with ECS's stoppedReason and the
# task's last log lines.
#   deploy/ci/migrate.sh [--dry-run] --stage dev|prod --image REPOSITORY_URI@sha256:DIGEST
# Used by npm run deploy and by .github/workflows/deploy.yml. Needs the AWS CLI and credentials.
# MIGRATE_POLL_SECONDS (15): between two looks at the task.
set -euo pipefail
die() { printf 'migrate: %s\n' "$*" >&2; exit 1; }
dry_run='' stage='' image=''
while [ $# -gt 0 ]; do
  case $1 in
    --dry-run) dry_run=1 ;;
    --stage) stage=${2:?}; shift ;;
    --image) image=${2:?}; shift ;;
    *) die "unknown argument: $1" ;;
  esac
  shift
done
[[ $stage =~ ^(dev|prod)$ ]] || die "--stage must be dev or prod"
[[ $image =~ @sha256:[0-9a-f]{64}$ ]] || die "--image must be pinned by digest (…@sha256:…), not '$image'"
cluster=ecs-microservice-$stage
family=$cluster-migrate
stack=$cluster-service

# shellcheck source=deploy/ci/lib.sh
source "$(dirname "$0")/lib.sh"
output() { ask "$2" aws cloudformation describe-stacks --stack-name "$stack" --query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue" --output text; }

current=$(ask "{\"family\":\"$family\",\"containerDefinitions\":[{\"name\":\"migrate\",\"image\":\"${image%@*}@sha256:0\",\"environment\":[{\"name\":\"DB_MIGRATION_TIMEOUT_MS\",\"value\":\"900000\"}],\"logConfiguration\":{\"logDriver\":\"awslogs\",\"options\":{\"awslogs-group\":\"/ecs/$cluster/app\",\"awslogs-stream-prefix\":\"migrate\"}}}]}" \
  aws ecs describe-task-definition --task-definition "$family" --query taskDefinition --output json)
registration=$(node -e '
  const td = JSON.parse(process.argv[1])
  for (const c of td.containerDefinitions) if (c.name === "migrate") c.image = process.argv[2]
  const keep = ["family", "taskRoleArn", "executionRoleArn", "networkMode", "containerDefinitions", "volumes", "requiresCompatibilities", "cpu", "memory", "runtimePlatform"]
  process.stdout.write(JSON.stringify(Object.fromEntries(keep.filter((k) => td[k] !== undefined).map((k) => [k, td[k]]))))
' "$current" "$image")
definition=$(ask "arn:aws:ecs:eu-west-1:123456789012:task-definition/$family:2" \
  aws ecs register-task-definition --cli-input-json "$registration" --query taskDefinition.taskDefinitionArn --output text)
subnets=$(output MigrationSubnets subnet-1,subnet-2)
group=$(output MigrationSecurityGroup sg-1)
# The wait's bound and where the task logs, from the task definition itself.
read -r bound_ms log_group log_prefix < <(node -e '
  const c = JSON.parse(process.argv[1]).containerDefinitions.find((c) => c.name === "migrate") ?? {}
  const bound = (c.environment ?? []).find((e) => e.name === "DB_MIGRATION_TIMEOUT_MS")?.value ?? "0"
  const o = c.logConfiguration?.options ?? {}
  console.log(bound, o["awslogs-group"] ?? "-", o["awslogs-stream-prefix"] ?? "-")
' "$current")
[[ $bound_ms =~ ^[1-9][0-9]*$ ]] || die "the migration task definition $family sets no DB_MIGRATION_TIMEOUT_MS: the wait for it would have no bound"
limit=$(( bound_ms / 1000 + ${MIGRATE_START_SECONDS:-600} )) poll=${MIGRATE_POLL_SECONDS:-15}

task=$(ask "arn:aws:ecs:eu-west-1:123456789012:task/$cluster/0123456789abcdef" aws ecs run-task --cluster "$cluster" --launch-type FARGATE \
  --task-definition "$definition" --network-configuration "awsvpcConfiguration={subnets=[$subnets],securityGroups=[$group],assignPublicIp=DISABLED}" \
  --query 'tasks[0].taskArn' --output text)
[[ $task == arn:* ]] || die "ECS started no migration task (run-task answered '$task'): nothing was deployed"

# The task's end: exit code, ECS's reasons, its last log lines.
report() {
  local stopped lines
  stopped=$(ask '{"exitCode":0,"stoppedReason":"Essential container in task exited","reason":null}' aws ecs describe-tasks --cluster "$cluster" --tasks "$task" \
    --query "tasks[0].{exitCode: containers[?name=='migrate'].exitCode | [0], reason: containers[?name=='migrate'].reason | [0], stoppedReason: stoppedReason}" --output json)
  code=$(node -p 'String(JSON.parse(process.argv[1]).exitCode ?? "none")' "$stopped")
  [ "$code" != 0 ] || return 0
  why=$(node -p 'const s = JSON.parse(process.argv[1]); [s.stoppedReason, s.reason].filter(Boolean).join("; ") || "no reason given"' "$stopped")
  lines=''
  if [ "$log_group" != - ]; then
    if lines=$(ask '[]' aws logs get-log-events --log-group-name "$log_group" --log-stream-name "$log_prefix/migrate/${task##*/}" \
      --limit 20 --no-start-from-head --query 'events[].message' --output json); then
      lines=$(node -p 'JSON.parse(process.argv[1]).join("\n")' "$lines")
    else
      lines="(its log lines could not be read)"
    fi
  fi
  printf 'migrate: the migration task exited with %s (%s); its last log lines (%s, stream %s):\n%s\n' "$code" "$why" "$log_group" "$log_prefix/migrate/${task##*/}" "${lines:-(none)}" >&2
  return 1
}

waited=0
until [ "$(ask STOPPED aws ecs describe-tasks --cluster "$cluster" --tasks "$task" --query 'tasks[0].lastStatus' --output text)" = STOPPED ]; do
  if [ "$waited" -ge "$limit" ]; then
    ask "" aws ecs stop-task --cluster "$cluster" --task "$task" --reason "migration past its bound (deploy/ci/migrate.sh)" --query task.lastStatus --output text >/dev/null
    report || true
    die "the migration task did not stop within ${limit}s (DB_MIGRATION_TIMEOUT_MS $bound_ms ms, and ${MIGRATE_START_SECONDS:-600}s to start): it was stopped, nothing was deployed"
  fi
  sleep "$poll"
  waited=$(( waited + poll ))
done
report || die "nothing was deployed"
echo "migrations applied with $image ($definition)"
