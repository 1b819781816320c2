#!/usr/bin/env bash
# Every AWS CLI command of the deploy scripts, parsed and sent by the real AWS CLI v2 to a
# loopback stand-in endpoint (deploy/ci/test/aws-endpoint.ts, answers in aws-answers.json): an
# unknown option, a bad parameter shape or a --query that does not compile fails here. The
# scripts run as the deploy workflow and `npm run deploy` run them, not in their dry runs; only
# what is not AWS is stood in for: docker (push.sh builds nothing here) and npx cdk (deploy.sh).
# The calls that reach the endpoint are the API calls of the scripts: they are written to
# deploy/infra/test/fixtures/aws-calls.json, which the permission test there evaluates against
# the stacks' policies (deploy/infra/test/permissions.test.ts); a difference fails this check.
#   .ci/checks/45-aws-cli.sh [--write]   (--write: update the fixture instead of comparing)
set -euo pipefail
fail() { echo "aws-cli check FAILED: $*" >&2; exit 1; }
write=''; [ "${1:-}" != --write ] || write=1
ECR_HOST=123456789012.dkr.ecr.eu-west-1.amazonaws.com
APP=$ECR_HOST/ecs-microservices/app@sha256:$(printf '1%.0s' $(seq 64))
FIXTURE=deploy/infra/test/fixtures/aws-calls.json
# The image tag of this tree, as push.sh makes it (written <commit> in the fixture)
TAG=$(git rev-parse --short HEAD); [ -z "$(git status --porcelain)" ] || TAG="$TAG-dirty"
dir=$(mktemp -d)
# shellcheck source=deploy/ci/test/aws-cli.sh
source deploy/ci/test/aws-cli.sh
aws_cli_v2 >/dev/null || { echo "SKIPPED: no AWS CLI v2 (Debian's awscli could not be installed)"; exit 77; }

# Files the scripts write into the tree: kept as they were.
keep=(deploy/ecs/images.env certs/rds-global-bundle.pem)
for f in "${keep[@]}"; do if [ -e "$f" ]; then cp -p "$f" "$dir/kept.$(basename "$f")"; fi; done
restore() {
  kill ${AWS_STANDIN_PID:+"$AWS_STANDIN_PID"} 2>/dev/null || true
  for f in "${keep[@]}"; do if [ -e "$dir/kept.$(basename "$f")" ]; then cp -p "$dir/kept.$(basename "$f")" "$f"; else rm -f "$f"; fi; done
  rm -rf "$dir"
}
trap restore EXIT
# answers OVERRIDES: the endpoint's answers from now on, aws-answers.json with OVERRIDES (JSON,
# by "service:Operation") put over it; the endpoint reads them at each request.
answers() { node -e 'const fs = require("node:fs"); fs.writeFileSync(process.argv[3], JSON.stringify({ ...JSON.parse(fs.readFileSync(process.argv[1], "utf8")), ...JSON.parse(process.argv[2]) }))' deploy/ci/test/aws-answers.json "$1" "$dir/answers.json"; }
answers '{}'
aws_standin "$dir" 47012 "$dir/answers.json" || fail "the AWS endpoint stand-in"
export AWS_REGION=eu-west-1 GITHUB_OUTPUT=/dev/null GITHUB_STEP_SUMMARY=/dev/null
unset AWS_DEFAULT_REGION AWS_ACCOUNT_ID

# Stand-ins for what is not AWS: docker answers as an engine that builds, loads and pushes, each
# push another digest (builds are not reproducible), and logs its commands to docker.log; npx
# (cdk deploy) records its arguments.
cat > "$dir/bin/docker" <<'SH'
#!/bin/sh
echo "docker $*" >> "$(dirname "$0")/../docker.log"
case $1 in
  version) echo 28.0.0 ;;
  login) cat > "$(dirname "$0")/../docker-login.password" ;;
  load) printf 'Loaded image: ecs-microservice-ci:app\nLoaded image: ecs-microservice-ci:nginx\n' ;;
  push) echo "latest: digest: sha256:$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n') size: 1234" ;;
esac
SH
: > "$dir/docker.log"
printf '#!/bin/sh\necho "npx $*" >> "%s/npx.log"\n' "$dir" > "$dir/bin/npx"
chmod +x "$dir/bin/docker" "$dir/bin/npx"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/ca.key" -out "$dir/ca.pem" -days 1 -subj "/CN=CI stand-in for the RDS CA" 2>/dev/null

calls=()
keep_calls() { # NAME FROM: the calls logged since line FROM
  local to; to=$(wc -l < "$dir/aws.log")
  [ "$to" -gt "$2" ] || fail "$1 made no AWS call"
  calls+=("$1" "$(sed -n "$(($2 + 1)),${to}p" "$dir/aws.log")")
  echo "$1: $((to - $2)) calls, each parsed and sent by the CLI"
}
record() { # NAME COMMAND...: runs one script for real, keeps the API calls it made
  local name=$1 from out; shift
  from=$(wc -l < "$dir/aws.log")
  out=$("$@" 2>&1) || fail "$name exited $?: $out"
  keep_calls "$name" "$from"
}
# rehearse NAME OVERRIDES PATTERN COMMAND...: a failure rehearsal: with AWS answering OVERRIDES,
# the script must fail, and say what PATTERN (grep -E) says; its calls are kept too.
rehearse() {
  local name=$1 overrides=$2 pattern=$3 from out; shift 3
  answers "$overrides"
  from=$(wc -l < "$dir/aws.log")
  if out=$("$@" 2>&1); then fail "$name: the script succeeded: $out"; fi
  grep -qE "$pattern" <<<"$out" || fail "$name: the failure does not say /$pattern/: $out"
  keep_calls "$name" "$from"
  answers '{}'
}
# check_says NAME OVERRIDES PATTERN COMMAND...: as record, with AWS answering OVERRIDES, and the
# script's output must say PATTERN.
check_says() {
  local name=$1 overrides=$2 pattern=$3 from out; shift 3
  answers "$overrides"
  from=$(wc -l < "$dir/aws.log")
  out=$("$@" 2>&1) || fail "$name exited $?: $out"
  grep -qE "$pattern" <<<"$out" || fail "$name: the output does not say /$pattern/: $out"
  keep_calls "$name" "$from"
  answers '{}'
}
# docker_since FROM: the docker commands logged since line FROM
docker_since() { sed -n "$(($1 + 1)),\$p" "$dir/docker.log"; }
not_in_ecr='{"ecr:DescribeImages": {"error": {"code": "ImageNotFoundException", "message": "The image does not exist within the repository with name {repositoryName} in the registry with id 123456789012", "status": 400}}}'
answers "$not_in_ecr"
record "push.sh (ECR account from sts)" env RDS_CA_BUNDLE="$dir/ca.pem" bash deploy/ecr/push.sh --version 1.2.3
[ "$(cat "$dir/docker-login.password")" = standin ] || fail "push.sh: docker login was not given the password of aws ecr get-login-password"
# The deploy workflow pushes the images CI built and saved (deploy/ecr/save-images.sh): it loads
# them and builds nothing.
echo "docker save of CI's two images" > "$dir/images.tar"
from=$(wc -l < "$dir/docker.log")
record "push.sh --registry --images (the deploy workflow: CI's images)" bash deploy/ecr/push.sh --registry "$ECR_HOST" --images "$dir/images.tar"
pushed=$(docker_since "$from")
grep -q "^docker load -i $dir/images.tar$" <<<"$pushed" || fail "push.sh --images loaded no images: $pushed"
grep -q "^docker push $ECR_HOST/ecs-microservices/nginx:" <<<"$pushed" || fail "push.sh --images pushed no nginx image: $pushed"
if grep -E '^docker (build|buildx)' <<<"$pushed"; then fail "push.sh --images built an image"; fi
cp deploy/ecs/images.env "$dir/first.images.env"
answers '{}'

# ---- a re-run for the same commit: ECR has its images (tags are immutable, a build is not
# reproducible): nothing is loaded, built or pushed, and the digests are those of the first push ----
digest_of() { sed -n "s/^$1=.*@//p" "$dir/first.images.env"; }
in_ecr=$(printf '"ecr:DescribeImages?repositoryName=ecs-microservices/%s": {"imageDetails": [{"imageDigest": "%s"}]}, ' app "$(digest_of APP_IMAGE)" nginx "$(digest_of NGINX_IMAGE)")
from=$(wc -l < "$dir/docker.log")
rerun=(bash deploy/ecr/push.sh --registry "$ECR_HOST" --images "$dir/images.tar")
if [[ $TAG != *-dirty ]]; then
  check_says "push.sh --registry --images: a re-run for the same commit" "{${in_ecr%, }}" \
    "already in ECR, not pushed \(a re-run\): $ECR_HOST/ecs-microservices/nginx:$TAG " "${rerun[@]}"
  cmp -s deploy/ecs/images.env "$dir/first.images.env" || fail "a re-run wrote other digests than the first push's: $(diff "$dir/first.images.env" deploy/ecs/images.env)"
  echo "a re-run for the same commit: nothing pushed, the first push's digests written"
else # uncommitted changes: another build under the same tag, so ECR's images are not taken either
  rehearse "push.sh --registry --images: a re-run for the same commit" "{${in_ecr%, }}" 'uncommitted changes: commit, then push; nothing was pushed' "${rerun[@]}"
  echo "a re-run from a tree with uncommitted changes: refused (from a clean tree: nothing pushed, the first push's digests)"
fi
if docker_since "$from" | grep -E '^docker (load|build|tag|login|push)'; then fail "a re-run loaded, built or pushed images"; fi
rehearse "push.sh: describe-images refused" '{"ecr:DescribeImages": {"error": {"code": "AccessDeniedException", "message": "not authorized to perform: ecr:DescribeImages", "status": 400}}}' \
  'aws ecr describe-images .* failed .*nothing was pushed.*AccessDeniedException' bash deploy/ecr/push.sh --registry "$ECR_HOST" --images "$dir/images.tar"
record "resolve-images.sh --tag (a rollback)" bash deploy/ci/resolve-images.sh --registry "$ECR_HOST" --tag v1.2.3
record "resolve-images.sh --commit (a dispatch without image tag)" bash deploy/ci/resolve-images.sh --registry "$ECR_HOST" --commit
rehearse "resolve-images.sh --commit: the commit's images are not in ECR" "$not_in_ecr" \
  "no image tagged [0-9a-f]+(-dirty)? in ecs-microservices/app: .*re-run" bash deploy/ci/resolve-images.sh --registry "$ECR_HOST" --commit
record "migrate.sh" bash deploy/ci/migrate.sh --stage prod --image "$APP"
record "task-definition.sh" bash deploy/ci/task-definition.sh --stage prod "$dir/td.json"
# A failed smoke test: the revision recorded before the deploy, then the service back on it (ECS's
# waiter, answered as a stable service).
from=$(wc -l < "$dir/aws.log")
out=$(bash deploy/ci/rollback.sh --stage prod --record) || fail "rollback.sh --record: $out"
keep_calls "rollback.sh --record (before the deploy)" "$from"
previous=$(sed -n 's/^previous=//p' <<<"$out")
[ "$previous" = arn:aws:ecs:eu-west-1:123456789012:task-definition/ecs-microservice-prod:7 ] || fail "rollback.sh --record: not the service's revision: $out"
primary() { printf '{"ecs:DescribeServices": {"services": [{"serviceName": "ecs-microservice", "status": "ACTIVE", "deployments": [{"status": "PRIMARY", "taskDefinition": "%s", "rolloutState": "%s"}]}], "failures": []}}' "$1" "$2"; }
check_says "rollback.sh (a failed smoke test)" "$(primary "$previous" COMPLETED)" "rolled back: ecs-microservice-prod/ecs-microservice runs ${previous//./\\.} again" \
  bash deploy/ci/rollback.sh --stage prod --to "$previous"
rehearse "rollback.sh: the deployment back fails" "$(primary "$previous" FAILED)" \
  'the deployment of .* failed \(rolloutState FAILED\)' bash deploy/ci/rollback.sh --stage prod --to "$previous"
rehearse "rollback.sh: ECS runs another revision" "$(primary "${previous%:*}:8" IN_PROGRESS)" \
  "primary deployment is .*:8, not .*:7: ECS rolled it elsewhere" bash deploy/ci/rollback.sh --stage prod --to "$previous"
rehearse "rollback.sh: not done in time" "$(primary "$previous" IN_PROGRESS)" \
  'still IN_PROGRESS after 0s' env ROLLBACK_WAIT_SECONDS=0 bash deploy/ci/rollback.sh --stage prod --to "$previous"
record "deploy.sh --tag" bash deploy/infra/scripts/deploy.sh --stage prod --tag v1.2.3
rm -f deploy/ecs/images.env
record "deploy.sh (the images the service runs)" bash deploy/infra/scripts/deploy.sh --stage prod
grep -q 'npx cdk deploy ecs-microservice-prod-service' "$dir/npx.log" || fail "deploy.sh deployed no service stack: $(cat "$dir/npx.log")"
# The Infrastructure workflow's pull request diff: the images the service runs, then cdk diff of
# the four stacks, and nothing deployed (its role reads only).
from_npx=$(wc -l < "$dir/npx.log")
record "deploy.sh --diff (the Infrastructure workflow's pull request)" bash deploy/infra/scripts/deploy.sh --stage prod --diff
diffed=$(sed -n "$((from_npx + 1)),\$p" "$dir/npx.log")
grep -q '^npx cdk diff --no-change-set ecs-microservice-account ecs-microservice-prod-registry ecs-microservice-prod-data ecs-microservice-prod-service --no-lookups .*appImageDigest=sha256:' <<<"$diffed" || fail "deploy.sh --diff ran no cdk diff of the four stacks: $diffed"
if grep -q 'cdk deploy' <<<"$diffed"; then fail "deploy.sh --diff deployed: $diffed"; fi
# …posted on the pull request: a new comment the first time, the same one replaced after.
cat > "$dir/bin/gh" <<SH
#!/bin/sh
echo "gh \$*" >> "$dir/gh.log"
case "\$*" in *--paginate*) cat "$dir/gh-existing" 2>/dev/null ;; esac
SH
chmod +x "$dir/bin/gh"
echo "Resources [~] AWS::ECS::Service" > "$dir/diff.txt"
for existing in '' 4242; do
  echo "$existing" > "$dir/gh-existing"
  out=$(GITHUB_REPOSITORY=acme/app bash deploy/ci/pr-comment.sh 12 prod "$dir/diff.txt" 2>&1) || fail "pr-comment.sh: $out"
done
grep -q '^gh api --method POST repos/acme/app/issues/12/comments -F body=@' "$dir/gh.log" || fail "pr-comment.sh posted no comment: $(cat "$dir/gh.log")"
grep -q '^gh api --method PATCH repos/acme/app/issues/comments/4242 -F body=@' "$dir/gh.log" || fail "pr-comment.sh did not replace its comment: $(cat "$dir/gh.log")"
echo "deploy.sh --diff: cdk diff of the four stacks, nothing deployed; pr-comment.sh: one comment, replaced"

# ---- failure rehearsals: what the scripts do when AWS says no or a task fails ----
stopped_task() { printf '{"ecs:DescribeTasks": {"tasks": [{"taskArn": "arn:aws:ecs:eu-west-1:123456789012:task/ecs-microservice-prod/0123456789abcdef", "lastStatus": "%s", "stoppedReason": "%s", "containers": [{"name": "migrate", "exitCode": %s, "reason": %s}]}], "failures": []}%s}' "$@"; }
rehearse "migrate.sh: the migration exits 1" "$(stopped_task STOPPED 'Essential container in task exited' 1 null '')" \
  'exited with 1 \(Essential container in task exited\).*stream migrate/migrate/0123456789abcdef' bash deploy/ci/migrate.sh --stage prod --image "$APP"
rehearse "migrate.sh: the task never starts its container" "$(stopped_task STOPPED 'CannotPullContainerError: pull image manifest has been retried 1 time(s)' null '"CannotPullContainerError"' '')" \
  'exited with none \(CannotPullContainerError: pull image manifest.*\)' bash deploy/ci/migrate.sh --stage prod --image "$APP"
past_bound=$(node -e '
  const a = require("./deploy/ci/test/aws-answers.json")["ecs:DescribeTaskDefinition"]
  a.taskDefinition.containerDefinitions[0].environment = [{ name: "DB_MIGRATION_TIMEOUT_MS", value: "1000" }]
  console.log(JSON.stringify({ "ecs:DescribeTaskDefinition": a }))')
rehearse "migrate.sh: the migration runs past its bound" "$(stopped_task RUNNING '' null null ", ${past_bound:1:${#past_bound}-2}")" \
  'did not stop within 2s \(DB_MIGRATION_TIMEOUT_MS 1000 ms, and 1s to start\): it was stopped' env MIGRATE_START_SECONDS=1 MIGRATE_POLL_SECONDS=1 bash deploy/ci/migrate.sh --stage prod --image "$APP"
grep -q '"operation":"StopTask"' "$dir/aws.log" || fail "the migration past its bound was not stopped"
rehearse "deploy.sh: describe-stacks refused" '{"cloudformation:DescribeStacks": {"error": {"code": "AccessDenied", "message": "User is not authorized to perform: cloudformation:DescribeStacks", "status": 403}}}' \
  'describe-stacks --stack-name ecs-microservice-account failed .*AccessDenied' bash deploy/infra/scripts/deploy.sh --stage prod
rehearse "deploy.sh: a stack that does not exist, then no images" '{"cloudformation:DescribeStacks": {"error": {"code": "ValidationError", "message": "Stack with id {StackName} does not exist", "status": 400}}}' \
  'no images: run npm run push first' bash deploy/infra/scripts/deploy.sh --stage prod
# A first create of the data stack that failed: its termination protection is turned off, so
# that cdk deploy can delete it and create it again.
failed_create=$(node -e 'const a = require("./deploy/ci/test/aws-answers.json")["cloudformation:DescribeStacks"]; console.log(JSON.stringify({ "cloudformation:DescribeStacks": a.replace("UPDATE_COMPLETE", "ROLLBACK_COMPLETE") }))')
check_says "deploy.sh: a data stack whose first create failed" "$failed_create" 'first create of ecs-microservice-prod-data failed \(ROLLBACK_COMPLETE\): termination protection off' \
  bash deploy/infra/scripts/deploy.sh --stage prod
grep -q '"operation":"UpdateTerminationProtection"' "$dir/aws.log" || fail "deploy.sh did not turn the failed data stack's termination protection off"
printf 'COMMIT=0000000\nAPP_IMAGE=%s\nNGINX_IMAGE=%s\n' "$APP" "${APP/app@/nginx@}" > deploy/ecs/images.env
check_says "deploy.sh: an images.env of another commit is not taken" '{}' 'images.env is of commit 0000000, not [0-9a-f]+(-dirty)?: deploying the images the service runs' \
  bash deploy/infra/scripts/deploy.sh --stage prod
rm -f deploy/ecs/images.env
if grep -v '"signed":true' "$dir/aws.log"; then fail "requests above were not signed"; fi

# The calls, by script: service, operation, parameters (the CLI's idempotency tokens dropped).
node -e '
  const [out, tag, ...pairs] = process.argv.slice(1)
  const scripts = []
  for (let i = 0; i < pairs.length; i += 2) {
    const calls = pairs[i + 1].split("\n").filter(Boolean).map((line) => {
      const { service, region, operation, parameters } = JSON.parse(line)
      for (const key of ["clientToken", "Action", "Version"]) delete parameters[key]
      for (const id of parameters.imageIds ?? []) if (id.imageTag === tag) id.imageTag = "<commit>"
      return { service, region, operation, parameters }
    })
    scripts.push({ script: pairs[i], calls })
  }
  require("node:fs").writeFileSync(out, JSON.stringify(scripts, null, 2) + "\n")
' "$dir/calls.json" "$TAG" "${calls[@]}"
if [ -n "$write" ]; then
  mkdir -p "$(dirname "$FIXTURE")"; cp "$dir/calls.json" "$FIXTURE"; echo "written: $FIXTURE"
else
  diff -u "$FIXTURE" "$dir/calls.json" || fail "the scripts' AWS calls differ from $FIXTURE (rerun with --write, and see that deploy/infra's permission test still passes)"
fi
echo "AWS CLI $("$(aws_cli_v2)" --version 2>&1 | cut -d' ' -f1): every command of the deploy scripts parsed and sent; the calls are those of $FIXTURE"
