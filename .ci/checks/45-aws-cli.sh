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
aws_standin "$dir" 47012 deploy/ci/test/aws-answers.json || fail "the AWS endpoint stand-in"
export AWS_REGION=eu-west-1 GITHUB_OUTPUT=/dev/null GITHUB_STEP_SUMMARY=/dev/null
unset AWS_DEFAULT_REGION AWS_ACCOUNT_ID

# Stand-ins for what is not AWS: docker answers as an engine that builds and pushes; npx (cdk
# deploy) records its arguments.
cat > "$dir/bin/docker" <<'SH'
#!/bin/sh
case $1 in
  version) echo 28.0.0 ;;
  login) cat > "$(dirname "$0")/../docker-login.password" ;;
  push) echo "latest: digest: sha256:$(printf '%064d' 3) size: 1234" ;;
esac
SH
printf '#!/bin/sh\necho "npx $*" >> "%s/npx.log"\n' "$dir" > "$dir/bin/npx"
chmod +x "$dir/bin/docker" "$dir/bin/npx"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/ca.key" -out "$dir/ca.pem" -days 1 -subj "/CN=CI stand-in for the RDS CA" 2>/dev/null

calls=()
record() { # NAME COMMAND...: runs one script for real, keeps the API calls it made
  local name=$1 from to out; shift
  from=$(wc -l < "$dir/aws.log")
  out=$("$@" 2>&1) || fail "$name exited $?: $out"
  to=$(wc -l < "$dir/aws.log")
  [ "$to" -gt "$from" ] || fail "$name made no AWS call"
  calls+=("$name" "$(sed -n "$((from + 1)),${to}p" "$dir/aws.log")")
  echo "$name: $((to - from)) calls, each parsed and sent by the CLI"
}
record "push.sh (ECR account from sts)" env RDS_CA_BUNDLE="$dir/ca.pem" bash deploy/ecr/push.sh --version 1.2.3
[ "$(cat "$dir/docker-login.password")" = standin ] || fail "push.sh: docker login was not given the password of aws ecr get-login-password"
record "push.sh --registry (the deploy workflow)" env RDS_CA_BUNDLE="$dir/ca.pem" bash deploy/ecr/push.sh --registry "$ECR_HOST"
record "resolve-images.sh --tag (a rollback)" bash deploy/ci/resolve-images.sh --registry "$ECR_HOST" --tag v1.2.3
record "migrate.sh" bash deploy/ci/migrate.sh --stage prod --image "$APP"
record "task-definition.sh" bash deploy/ci/task-definition.sh --stage prod "$dir/td.json"
record "deploy.sh --tag" bash deploy/infra/scripts/deploy.sh --stage prod --tag v1.2.3
rm -f deploy/ecs/images.env
record "deploy.sh (the images the service runs)" bash deploy/infra/scripts/deploy.sh --stage prod
grep -q 'npx cdk deploy ecs-microservice-prod-service' "$dir/npx.log" || fail "deploy.sh deployed no service stack: $(cat "$dir/npx.log")"
if grep -v '"signed":true' "$dir/aws.log"; then fail "requests above were not signed"; fi

# The calls, by script: service, operation, parameters (the CLI's idempotency tokens dropped).
node -e '
  const [out, ...pairs] = process.argv.slice(1)
  const scripts = []
  for (let i = 0; i < pairs.length; i += 2) {
    const calls = pairs[i + 1].split("\n").filter(Boolean).map((line) => {
      const { service, region, operation, parameters } = JSON.parse(line)
      for (const key of ["clientToken", "Action", "Version"]) delete parameters[key]
      return { service, region, operation, parameters }
    })
    scripts.push({ script: pairs[i], calls })
  }
  require("node:fs").writeFileSync(out, JSON.stringify(scripts, null, 2) + "\n")
' "$dir/calls.json" "${calls[@]}"
if [ -n "$write" ]; then
  mkdir -p "$(dirname "$FIXTURE")"; cp "$dir/calls.json" "$FIXTURE"; echo "written: $FIXTURE"
else
  diff -u "$FIXTURE" "$dir/calls.json" || fail "the scripts' AWS calls differ from $FIXTURE (rerun with --write, and see that deploy/infra's permission test still passes)"
fi
echo "AWS CLI $("$(aws_cli_v2)" --version 2>&1 | cut -d' ' -f1): every command of the deploy scripts parsed and sent; the calls are those of $FIXTURE"
