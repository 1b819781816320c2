#!/usr/bin/env bash
# npm run push against a local registry (Debian's docker-registry on 127.0.0.1), and --dry-run.
set -euo pipefail
fail() { echo "push check FAILED: $*" >&2; exit 1; }

dry=$(AWS_REGION=eu-west-1 AWS_ACCOUNT_ID=123456789012 npm run -s push -- --dry-run --version 9.9.9)
echo "$dry"
grep -q 'aws ecr get-login-password --region eu-west-1 | docker login --username AWS --password-stdin 123456789012.dkr.ecr.eu-west-1.amazonaws.com' <<<"$dry" || fail "dry run: no ECR login"
grep -q 'docker push 123456789012.dkr.ecr.eu-west-1.amazonaws.com/ecs-microservices/app:' <<<"$dry" || fail "dry run: no app push"
grep -q 'docker push 123456789012.dkr.ecr.eu-west-1.amazonaws.com/ecs-microservices/nginx:9.9.9' <<<"$dry" || fail "dry run: no nginx push"
if [ ! -s certs/rds-global-bundle.pem ]; then
  grep -q 'curl .* -o certs/rds-global-bundle.pem https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem' <<<"$dry" || fail "dry run: no RDS CA bundle download"
fi
if AWS_REGION='' AWS_DEFAULT_REGION='' npm run -s push -- --dry-run 2>/tmp/push-err; then fail "no region accepted"; fi
grep -q AWS_REGION /tmp/push-err || fail "missing region not named"

if [ -z "${ENGINE:-}" ]; then echo "SKIPPED: push to a local registry (no container engine)"; exit 0; fi
command -v docker-registry >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-registry >/dev/null; }
port=15099 dir=$(mktemp -d)
cat > "$dir/config.yml" <<YAML
version: 0.1
storage:
  filesystem:
    rootdirectory: $dir/data
http:
  addr: 127.0.0.1:$port
YAML
docker-registry serve "$dir/config.yml" > "$dir/registry.log" 2>&1 &
registry_pid=$!
trap 'kill $registry_pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.1; done

# The RDS CA bundle cannot be downloaded here: a CA made for the check stands in for it, and
# must come out of the image byte for byte (certs/README.md).
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/ca.key" -out "$dir/rds-ca.pem" -days 1 -subj "/CN=CI stand-in for the RDS CA" 2>/dev/null
trap 'kill $registry_pid 2>/dev/null; rm -rf "$dir"; rm -f certs/rds-global-bundle.pem' EXIT
out=$(RDS_CA_BUNDLE="$dir/rds-ca.pem" npm run -s push -- --registry "127.0.0.1:$port" --version ci-check)
echo "$out"
tag=$(git rev-parse --short HEAD); [ -z "$(git status --porcelain)" ] || tag="$tag-dirty"
for repo in ecs-microservices/app ecs-microservices/nginx; do
  tags=$(curl -s "http://127.0.0.1:$port/v2/$repo/tags/list")
  echo "$repo: $tags"
  grep -q "\"$tag\"" <<<"$tags" || fail "$repo has no tag $tag"
  grep -q '"ci-check"' <<<"$tags" || fail "$repo has no tag ci-check"
  grep -qE "pushed 127.0.0.1:$port/$repo:$tag +127.0.0.1:$port/$repo@sha256:[0-9a-f]{64}" <<<"$out" || fail "no digest printed for $repo"
done
grep -q "^APP_IMAGE=127.0.0.1:$port/ecs-microservices/app@sha256:" deploy/ecs/images.env || fail "images.env"
docker run --rm --entrypoint cat "127.0.0.1:$port/ecs-microservices/app:ci-check" /app/certs/rds-global-bundle.pem | cmp -s - "$dir/rds-ca.pem" \
  || fail "the pushed app image does not carry the RDS CA bundle at /app/certs/rds-global-bundle.pem"
echo "the app image carries the RDS CA bundle given to npm run push"

# deploy/infra's deploy script takes the digests from images.env (its dry run prints the plan)
plan=$(bash deploy/infra/scripts/deploy.sh --dry-run --stage prod)
echo "$plan" | grep -E '^deploying app@sha256:[0-9a-f]{64} and nginx@sha256:[0-9a-f]{64} to prod$' || fail "npm run deploy did not take the pushed digests"
# The deploy workflow's scripts on what was pushed: the images by digest, the migration task
# (dry run), the task definition file, the smoke test (dry run) and the summary.
images=$(bash deploy/ci/resolve-images.sh --registry "127.0.0.1:$port")
grep -qE "^app_image=127.0.0.1:$port/ecs-microservices/app@sha256:[0-9a-f]{64}$" <<<"$images" || fail "resolve-images: $images"
app_image=$(sed -n 's/^app_image=//p' <<<"$images")
# (Output captured first: grep -q ending a pipe early would fail it under pipefail.)
migration=$(bash deploy/ci/migrate.sh --dry-run --stage prod --image "$app_image" 2>&1) || fail "migrate.sh --dry-run: $migration"
grep -q "aws ecs run-task --cluster ecs-microservice-prod" <<<"$migration" || fail "migrate.sh --dry-run ran no task: $migration"
bash deploy/ci/task-definition.sh --dry-run --stage prod "$dir/td.json" >/dev/null 2>&1
node -e 'const td = require(process.argv[1]); if (td.revision || !td.containerDefinitions) process.exit(1)' "$dir/td.json" || fail "task-definition.sh"
bash deploy/ci/smoke.sh --dry-run https://service.example >/dev/null || fail "smoke.sh --dry-run"
summary=$(bash deploy/ci/summary.sh "$app_image" "$app_image" arn:aws:ecs:eu-west-1:1:task-definition/ecs-microservice-prod:7 https://service.example)
grep -q 'revision 7' <<<"$summary" || fail "summary.sh: $summary"
echo "the deploy workflow's scripts take the pushed images"
rm -f deploy/ecs/images.env
