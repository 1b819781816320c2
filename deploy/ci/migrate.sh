#!/usr/bin/env bash
# Runs the migrations once on Fargate with an app image, before any task of it serves:
# registers a revision of the stack's migration task definition with that image, runs it in the
# stack's subnets and security group, waits for it to stop, and fails unless it exited 0.
#   deploy/ci/migrate.sh [--dry-run] --stage dev|prod --image REPOSITORY_URI@sha256:DIGEST
# Used by npm run deploy and by .github/workflows/deploy.yml. Needs the AWS CLI and credentials.
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

current=$(ask "{\"family\":\"$family\",\"containerDefinitions\":[{\"name\":\"migrate\",\"image\":\"${image%@*}@sha256:0\"}]}" \
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
task=$(ask "arn:aws:ecs:eu-west-1:123456789012:task/$cluster/0123456789abcdef" aws ecs run-task --cluster "$cluster" --launch-type FARGATE \
  --task-definition "$definition" --network-configuration "awsvpcConfiguration={subnets=[$subnets],securityGroups=[$group],assignPublicIp=DISABLED}" \
  --query 'tasks[0].taskArn' --output text)
ask "" aws ecs wait tasks-stopped --cluster "$cluster" --tasks "$task" >/dev/null
code=$(ask 0 aws ecs describe-tasks --cluster "$cluster" --tasks "$task" --query "tasks[0].containers[?name=='migrate'].exitCode | [0]" --output text)
[ "$code" = 0 ] || die "the migration task exited with $code: nothing was deployed (logs: /ecs/$cluster/app, stream prefix migrate)"
echo "migrations applied with $image ($definition)"
