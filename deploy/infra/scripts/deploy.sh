#!/usr/bin/env bash
# npm run deploy -- [--dry-run] [--stage dev|prod] [--tag TAG] [--registry-only | --diff]
#
# Deploys the service to AWS with the CDK app of deploy/infra (docs/operations.md, "Deploy to AWS"):
#   1. the account stack (the ECR repositories and GitHub's OIDC provider, shared by every stage
#      of the account; an OIDC provider the account had before is found and trusted), then the
#      stage's registry stack (the deploy role): created or updated;
#   2. the images: those tagged TAG in the repositories (--tag: a rollback), or the digests
#      `npm run push` wrote to deploy/ecs/images.env for this very commit, or else the images the
#      service runs now (an images.env of another commit is not taken: deploying the stack never
#      puts back an older image);
#   3. the migrations: a revision of the migration task definition with the new app image, run
#      once on Fargate; the deploy stops if it fails. On the very first deploy the service stack
#      is created first with no task running (paused), since there is no migration task before;
#   4. the service stack with those digests (the data stack — network, database, cache — first,
#      as its dependency); CloudFormation waits for the ECS deployment to be
#      stable and fails (rolled back by the circuit breaker) when it is not.
# --diff: steps 1 and 2 without deploying anything, then `cdk diff` of the account's and the
# stage's stacks with those digests against what is deployed (the Infrastructure workflow's pull
# request comment; reads only).
# Settings: -c values in CDK_CONTEXT (e.g. "githubRepository=acme/app certificateArn=arn:..."),
# AWS credentials and region as the AWS CLI takes them. --dry-run prints the commands only.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
root=$(cd "$here/../.." && pwd)
die() { printf 'deploy: %s\n' "$*" >&2; exit 1; }

dry_run='' stage=dev tag='' registry_only='' diff=''
while [ $# -gt 0 ]; do
  case $1 in
    --dry-run) dry_run=1 ;;
    --stage) stage=${2:?--stage needs dev or prod}; shift ;;
    --tag) tag=${2:?--tag needs an image tag}; shift ;;
    --registry-only) registry_only=1 ;;
    --diff) diff=1 ;;
    -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
  shift
done
[[ $stage =~ ^(dev|prod)$ ]] || die "--stage must be dev or prod"

service_name=ecs-microservice
account_stack=$service_name-account
registry_stack=$service_name-$stage-registry
data_stack=$service_name-$stage-data
service_stack=$service_name-$stage-service
cluster=$service_name-$stage
context=(-c "stage=$stage")
for kv in ${CDK_CONTEXT:-}; do context+=(-c "$kv"); done
export CDK_DISABLE_CLI_TELEMETRY=true

run() { printf '+ %s\n' "$*"; [ -n "$dry_run" ] || "$@"; }
errors=$(mktemp)
trap 'rm -f "$errors"' EXIT
# shellcheck source=deploy/ci/lib.sh
source "$root/deploy/ci/lib.sh"
cdk() { (cd "$here" && npx cdk "$@" --no-lookups "${context[@]}" "${images[@]}") ; }
# describe_stack STACK QUERY DRY-RUN-ANSWER: describe-stacks' answer to QUERY; nothing when the
# stack does not exist; any other error (credentials, permissions, throttling) stops the deploy.
describe_stack() {
  local out status=0
  out=$(ask "$3" aws cloudformation describe-stacks --stack-name "$1" --query "$2" --output text 2>"$errors") || status=$?
  grep '^+ ' "$errors" >&2 || true
  if [ "$status" = 0 ]; then [ "$out" = None ] || printf '%s\n' "$out"; return 0; fi
  grep -q "Stack with id $1 does not exist" "$errors" && return 0
  die "aws cloudformation describe-stacks --stack-name $1 failed (exit $status), nothing was deployed: $(grep -v '^+ ' "$errors" | tr -s '\n' ' ')"
}

if [ -z "$dry_run" ]; then
  command -v aws >/dev/null || die "the AWS CLI (aws) is not installed"
  aws sts get-caller-identity >/dev/null 2>&1 || die "no AWS credentials (aws sts get-caller-identity failed)"
fi
[ -d "$here/node_modules" ] || run npm --prefix "$here" ci --no-audit --no-fund

placeholder=sha256:$(printf '%064d' 0)
images=(-c "appImageDigest=$placeholder" -c "nginxImageDigest=$placeholder")

# ---- GitHub's OIDC provider: one per account. The account stack keeps the one it created, and
# trusts one the account had before it (githubOidcProviderExists), unless CDK_CONTEXT says ----
if [[ " ${CDK_CONTEXT:-} " != *" githubOidcProviderExists="* ]]; then
  origin=$(describe_stack "$account_stack" "Stacks[0].Outputs[?OutputKey=='GitHubOidcProviderOrigin'].OutputValue" created)
  case $origin in
    created) exists=false ;;
    imported) exists=true ;;
    *) # no account stack yet: whatever the account has
      found=$(ask "" aws iam list-open-id-connect-providers \
        --query "OpenIDConnectProviderList[?ends_with(Arn, '/token.actions.githubusercontent.com')].Arn" --output text)
      if [ -n "$found" ] && [ "$found" != None ]; then exists=true; else exists=false; fi ;;
  esac
  echo "GitHub's OIDC provider: $([ "$exists" = true ] && echo "the account's own, trusted" || echo "the account stack's")"
  context+=(-c "githubOidcProviderExists=$exists")
fi
if [ -z "$diff" ]; then
  run cdk deploy "$account_stack" --require-approval never
  run cdk deploy "$registry_stack" --require-approval never
fi
[ -z "$registry_only" ] || exit 0

# ---- the images to deploy, by digest ----
if [ -n "$dry_run" ]; then account=123456789012; else account=$(aws sts get-caller-identity --query Account --output text); fi
region=${AWS_REGION:-${AWS_DEFAULT_REGION:-eu-west-1}}
stack_exists() { local status; status=$(describe_stack "$service_stack" 'Stacks[0].StackStatus' '') || exit 1; [ -n "$status" ]; }
# images.env is this commit's when npm run push wrote it here and now (its COMMIT, the image tag).
head=$(git -C "$root" rev-parse --short HEAD)
[ -z "$(git -C "$root" status --porcelain)" ] || head="$head-dirty"
images_env=$root/deploy/ecs/images.env
images_commit=$( [ ! -f "$images_env" ] || sed -n 's/^COMMIT=//p' "$images_env")
if [ -n "$tag" ] || { [ -f "$images_env" ] && [ "$images_commit" = "$head" ]; }; then
  # The deploy workflow's own lookup: images.env, or the images tagged $tag in ECR.
  resolved=$(GITHUB_OUTPUT=/dev/null bash "$root/deploy/ci/resolve-images.sh" ${dry_run:+--dry-run} ${tag:+--tag "$tag"} \
    --registry "$account.dkr.ecr.$region.amazonaws.com") || die "no images${tag:+ tagged $tag}"
  app=$(sed -n 's/^app_image=.*@//p' <<<"$resolved") nginx=$(sed -n 's/^nginx_image=.*@//p' <<<"$resolved")
elif stack_exists; then
  # What runs now: deploying the stack alone never puts back an older image.
  [ ! -f "$images_env" ] || echo "deploy: deploy/ecs/images.env is of commit ${images_commit:-unknown}, not $head: deploying the images the service runs (npm run push first to deploy $head)" >&2
  definition=$(aws ecs describe-services --cluster "$cluster" --services "$service_name" --query 'services[0].taskDefinition' --output text)
  app=$(aws ecs describe-task-definition --task-definition "$definition" --query "taskDefinition.containerDefinitions[?name=='app'].image" --output text | sed -E 's/.*@//')
  nginx=$(aws ecs describe-task-definition --task-definition "$definition" --query "taskDefinition.containerDefinitions[?name=='nginx'].image" --output text | sed -E 's/.*@//')
elif [ -f "$images_env" ]; then
  die "deploy/ecs/images.env is of commit ${images_commit:-unknown}, not $head, and $service_stack does not exist yet: run npm run push, or give --tag"
else
  die "no images: run npm run push first (it writes deploy/ecs/images.env), or give --tag"
fi
[[ $app =~ ^sha256:[0-9a-f]{64}$ && $nginx =~ ^sha256:[0-9a-f]{64}$ ]] || die "not image digests: app '$app', nginx '$nginx'"
if [ -n "$diff" ]; then echo "the diff with app@$app and nginx@$nginx against $stage"; else echo "deploying app@$app and nginx@$nginx to $stage"; fi
images=(-c "appImageDigest=$app" -c "nginxImageDigest=$nginx")

# ---- --diff: what a deploy would change, deploying nothing (template diff, no change set) ----
if [ -n "$diff" ]; then
  run cdk diff --no-change-set "$account_stack" "$registry_stack" "$data_stack" "$service_stack"
  exit 0
fi

# ---- a data stack whose first create failed (ROLLBACK_COMPLETE) is deleted by cdk deploy and
# created again; its termination protection (prod) would refuse that delete: turned off first,
# and the deploy sets it again ----
data_status=$(describe_stack "$data_stack" 'Stacks[0].StackStatus' '') || exit 1
if [ "$data_status" = ROLLBACK_COMPLETE ]; then
  echo "the first create of $data_stack failed (ROLLBACK_COMPLETE): termination protection off, so that cdk deploy can delete it and create it again"
  run aws cloudformation update-termination-protection --no-enable-termination-protection --stack-name "$data_stack" --query StackId --output text
fi

# ---- first deploy: the stack with no task running, so that the migration task exists ----
if ! stack_exists && [ -z "$dry_run" ]; then
  echo "first deploy of $service_stack: created paused (no task) until the migrations have run"
  run cdk deploy "$service_stack" --require-approval never -c paused=true
fi

# ---- migrations: once, with the new app image, before any new task serves ----
# Its own --dry-run prints what it would run.
bash "$root/deploy/ci/migrate.sh" ${dry_run:+--dry-run} --stage "$stage" \
  --image "$account.dkr.ecr.$region.amazonaws.com/${APP_REPOSITORY:-ecs-microservices/app}@$app"

# ---- the service, with those digests; fails when ECS's circuit breaker rolls it back ----
run cdk deploy "$service_stack" --require-approval never --outputs-file "$here/cdk.out/outputs-$stage.json"
