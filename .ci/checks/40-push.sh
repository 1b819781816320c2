#!/usr/bin/env bash
# npm run push: --dry-run, then, with a container engine, to --registry an ECR host name
# (resolved to Debian's docker-registry on a loopback address through /etc/hosts, with a
# password), logged in with the real AWS CLI v2's `ecr get-login-password` against a loopback
# stand-in of ECR (deploy/ci/test/aws-endpoint.ts: GetAuthorizationToken, and DescribeImages
# answered as the registry holds the tags): built, then again for the same commit (a re-run:
# nothing pushed), then as the deploy workflow runs it, with the images CI saved (--images).
set -euo pipefail
fail() { echo "push check FAILED: $*" >&2; exit 1; }
# The deploy workflow's --registry: amazon-ecr-login's output, the host name with no port.
ECR_HOST=123456789012.dkr.ecr.eu-west-1.amazonaws.com

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
# --registry an ECR host: the login is that host's region's, AWS_REGION or not.
for region in '' us-east-1; do
  dry=$(AWS_REGION=$region AWS_DEFAULT_REGION='' npm run -s push -- --dry-run --registry "$ECR_HOST" 2>&1) || fail "dry run, --registry $ECR_HOST, AWS_REGION='$region': $dry"
  grep -q "aws ecr get-login-password --region eu-west-1 | docker login --username AWS --password-stdin $ECR_HOST\$" <<<"$dry" || fail "dry run, --registry $ECR_HOST: no ECR login in eu-west-1: $dry"
  grep -q "docker push $ECR_HOST/ecs-microservices/app:" <<<"$dry" || fail "dry run, --registry $ECR_HOST: no app push"
done
if AWS_REGION='' AWS_DEFAULT_REGION='' npm run -s push -- --dry-run --registry registry.amazonaws.com 2>/tmp/push-err; then fail "an amazonaws.com registry with no region accepted"; fi
grep -q 'no region in the host name.*AWS_REGION is not set' /tmp/push-err || fail "an amazonaws.com registry with no region: $(cat /tmp/push-err)"
dry=$(AWS_REGION='' AWS_DEFAULT_REGION='' npm run -s push -- --dry-run --registry 127.0.0.1:5000)
if grep -q 'docker login' <<<"$dry"; then fail "a registry that is not ECR logged in to"; fi
dry=$(npm run -s push -- --dry-run --registry "$ECR_HOST" --images /tmp/images.tar)
grep -q '^+ docker load -i /tmp/images.tar$' <<<"$dry" || fail "dry run, --images: no docker load: $dry"
grep -q "^+ docker tag ecs-microservice-ci:nginx $ECR_HOST/ecs-microservices/nginx:" <<<"$dry" || fail "dry run, --images: CI's nginx image not tagged: $dry"
if grep -E 'docker-build|docker build|curl' <<<"$dry"; then fail "dry run, --images: something is built"; fi
echo "dry runs: ECR by default and by --registry host name (its region), no login elsewhere, --images builds nothing"

if [ -z "${ENGINE:-}" ]; then echo "SKIPPED: push to a local registry (no container engine)"; exit 0; fi
if ! command -v docker-registry >/dev/null || ! command -v htpasswd >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-registry apache2-utils >/dev/null
fi
# The ECR host has no port: Docker reaches it on 443, then (an address in 127.0.0.0/8 is an
# insecure registry to Docker) plain HTTP on 80. The registry takes port 80 of a loopback address
# of its own, so that no port of 127.0.0.1 is taken.
address=127.0.47.1 endpoint_port=47011 dir=$(mktemp -d)
# shellcheck source=deploy/ci/test/aws-cli.sh
source deploy/ci/test/aws-cli.sh
password=$(openssl rand -hex 24)
htpasswd -Bbn AWS "$password" > "$dir/htpasswd"
cat > "$dir/config.yml" <<YAML
version: 0.1
storage:
  filesystem:
    rootdirectory: $dir/data
http:
  addr: $address:80
auth:
  htpasswd:
    realm: ecr-standin
    path: $dir/htpasswd
YAML
docker-registry serve "$dir/config.yml" > "$dir/registry.log" 2>&1 &
registry_pid=$!
hosts_line="$address $ECR_HOST # .ci/checks/40-push.sh"
cleanup() {
  kill "$registry_pid" ${AWS_STANDIN_PID:+"$AWS_STANDIN_PID"} 2>/dev/null || true
  docker rmi "${CI_IMAGE:-ci-push-check-$$}:app" "${CI_IMAGE:-ci-push-check-$$}:nginx" >/dev/null 2>&1 || true
  # /etc/hosts rewritten in place (it may be a bind mount, which sed -i cannot replace)
  if grep -qF "$hosts_line" /etc/hosts; then grep -vF "$hosts_line" /etc/hosts > "$dir/hosts" || true; cat "$dir/hosts" > /etc/hosts; fi
  rm -rf "$dir"
}
trap cleanup EXIT
echo "$hosts_line" >> /etc/hosts
aws_cli_v2 >/dev/null || { echo "SKIPPED: the ECR push (no AWS CLI v2 could be installed)"; exit 0; }
# ECR's DescribeImages, as the registry holds the tags: answers_from_registry REPOSITORY...
answers_from_registry() {
  local repo digest json='' accept='application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json'
  for repo in "$@"; do
    digest=$(curl -s -I -u "AWS:$password" -H "Accept: $accept" "http://$ECR_HOST/v2/$repo/manifests/$tag" | tr -d '\r' | sed -n 's/^docker-content-digest: //Ip')
    json+="\"ecr:DescribeImages?repositoryName=$repo\": $(if [ -n "$digest" ]; then echo "{\"imageDetails\": [{\"imageDigest\": \"$digest\"}]}"; else echo "$not_found"; fi), "
  done
  echo "{${json%, }}" > "$dir/answers.json"
}
not_found='{"error": {"code": "ImageNotFoundException", "message": "The image does not exist within the repository with name {repositoryName}", "status": 400}}'
tag=$(git rev-parse --short HEAD); [ -z "$(git status --porcelain)" ] || tag="$tag-dirty"
answers_from_registry ecs-microservices/app ecs-microservices/nginx
ECR_PASSWORD=$password aws_standin "$dir/aws" "$endpoint_port" "$dir/answers.json" || fail "the AWS endpoint stand-in"
export AWS_REGION=eu-west-1 DOCKER_CONFIG=$dir/docker # as configure-aws-credentials leaves it; docker login's file our own
for _ in $(seq 1 50); do [ "$(curl -s -o /dev/null -w '%{http_code}' "http://$ECR_HOST/v2/")" = 401 ] && break; sleep 0.1; done
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://$ECR_HOST/v2/")" = 401 ] || fail "the registry does not answer as $ECR_HOST: $(cat "$dir/registry.log")"

# The RDS CA bundle cannot be downloaded here: a CA made for the check stands in for it, and
# must come out of the image byte for byte (certs/README.md).
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/ca.key" -out "$dir/rds-ca.pem" -days 1 -subj "/CN=CI stand-in for the RDS CA" 2>/dev/null
trap 'cleanup; rm -f certs/rds-global-bundle.pem' EXIT
out=$(RDS_CA_BUNDLE="$dir/rds-ca.pem" npm run -s push -- --registry "$ECR_HOST" --version ci-check)
echo "$out"
# The login went through the CLI: a signed ecr:GetAuthorizationToken in the host's region, whose
# password the registry took (it answers 401 to anyone else).
grep -q '"service":"ecr","region":"eu-west-1","operation":"GetAuthorizationToken".*"signed":true' "$dir/aws/aws.log" \
  || fail "no signed ecr GetAuthorizationToken in eu-west-1 reached the endpoint: $(cat "$dir/aws/aws.log")"
echo "ECR login: aws ecr get-login-password (AWS CLI $("$(aws_cli_v2)" --version 2>&1 | cut -d' ' -f1)) to the stand-in endpoint, its password taken by the registry"
for repo in ecs-microservices/app ecs-microservices/nginx; do
  tags=$(curl -s -u "AWS:$password" "http://$ECR_HOST/v2/$repo/tags/list")
  echo "$repo: $tags"
  grep -q "\"$tag\"" <<<"$tags" || fail "$repo has no tag $tag"
  grep -q '"ci-check"' <<<"$tags" || fail "$repo has no tag ci-check"
  grep -qE "pushed $ECR_HOST/$repo:$tag +$ECR_HOST/$repo@sha256:[0-9a-f]{64}" <<<"$out" || fail "no digest printed for $repo"
done
grep -q "^APP_IMAGE=$ECR_HOST/ecs-microservices/app@sha256:" deploy/ecs/images.env || fail "images.env"
docker run --rm --entrypoint cat "$ECR_HOST/ecs-microservices/app:ci-check" /app/certs/rds-global-bundle.pem | cmp -s - "$dir/rds-ca.pem" \
  || fail "the pushed app image does not carry the RDS CA bundle at /app/certs/rds-global-bundle.pem"
echo "the app image carries the RDS CA bundle given to npm run push"

# A re-run for the same commit: ECR has its images (its tags are immutable, a build is not
# reproducible): nothing is built or pushed, and the digests written are the first push's.
cp deploy/ecs/images.env "$dir/first.images.env"
answers_from_registry ecs-microservices/app ecs-microservices/nginx
for repo in app nginx; do
  grep -q "@$(sed -n "s/.*ecs-microservices\/$repo\": {\"imageDetails\": \[{\"imageDigest\": \"\(sha256:[0-9a-f]*\)\".*/\1/p" "$dir/answers.json" | head -1)\$" deploy/ecs/images.env \
    || fail "images.env's $repo digest is not the registry's: $(cat "$dir/answers.json")"
done
if [[ $tag != *-dirty ]]; then
  again=$(npm run -s push -- --registry "$ECR_HOST" --version ci-check) || fail "the re-run failed: $again"
  echo "$again"
  if grep -E '^\+ (docker push|deploy/docker-build.sh|docker build)' <<<"$again"; then fail "the re-run built or pushed"; fi
  grep -q "already in ECR, not pushed (a re-run): $ECR_HOST/ecs-microservices/app:$tag " <<<"$again" || fail "the re-run does not say the images are in ECR"
  cmp -s deploy/ecs/images.env "$dir/first.images.env" || fail "the re-run wrote other digests: $(diff "$dir/first.images.env" deploy/ecs/images.env)"
  echo "a re-run for the same commit: nothing built or pushed, the first push's digests written"
else
  if again=$(npm run -s push -- --registry "$ECR_HOST" --version ci-check 2>&1); then fail "a re-run from a tree with uncommitted changes took ECR's images: $again"; fi
  grep -q 'uncommitted changes: commit, then push' <<<"$again" || fail "the dirty re-run: $again"
  echo "a re-run from a tree with uncommitted changes: refused (from a clean tree: nothing built or pushed)"
fi

# deploy/infra's deploy script takes the digests from images.env (its dry run prints the plan)
plan=$(bash deploy/infra/scripts/deploy.sh --dry-run --stage prod)
echo "$plan" | grep -E '^deploying app@sha256:[0-9a-f]{64} and nginx@sha256:[0-9a-f]{64} to prod$' || fail "npm run deploy did not take the pushed digests"
# The deploy workflow's scripts on what was pushed: the images by digest, the migration task
# (dry run), the task definition file, the smoke test (dry run) and the summary.
images=$(bash deploy/ci/resolve-images.sh --registry "$ECR_HOST")
grep -qE "^app_image=$ECR_HOST/ecs-microservices/app@sha256:[0-9a-f]{64}$" <<<"$images" || fail "resolve-images: $images"
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

# The deploy workflow: CI's tested images, saved by its images job (deploy/ecr/save-images.sh),
# pushed as they are, to repositories that do not have them yet; nothing is built.
# (CI_IMAGE: names of this check's own, the machine's engine may be running other checks)
export CI_IMAGE=ci-push-check-$$
docker tag "$ECR_HOST/ecs-microservices/app:ci-check" "$CI_IMAGE:app"
docker tag "$ECR_HOST/ecs-microservices/nginx:ci-check" "$CI_IMAGE:nginx"
bash deploy/ecr/save-images.sh "$dir/images.tar" || fail "save-images.sh"
tested=$(docker image inspect -f '{{.Id}}' "$CI_IMAGE:app")
docker rmi "$CI_IMAGE:app" "$CI_IMAGE:nginx" >/dev/null
answers_from_registry ci/app ci/nginx
out=$(APP_REPOSITORY=ci/app NGINX_REPOSITORY=ci/nginx npm run -s push -- --registry "$ECR_HOST" --images "$dir/images.tar") || fail "push --images: $out"
echo "$out"
if grep -E '^\+ (deploy/docker-build.sh|docker build)' <<<"$out"; then fail "push --images built an image"; fi
config=$(curl -s -u "AWS:$password" -H 'Accept: application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json' "http://$ECR_HOST/v2/ci/app/manifests/$tag" \
  | node -e 'console.log(JSON.parse(require("node:fs").readFileSync(0, "utf8")).config.digest)')
[ "$config" = "$tested" ] || fail "ci/app:$tag is not the image CI tested: config $config, tested $tested"
grep -q "^APP_IMAGE=$ECR_HOST/ci/app@sha256:" deploy/ecs/images.env || fail "images.env after push --images: $(cat deploy/ecs/images.env)"
echo "push --images: the very image saved ($tested) pushed, nothing built"
rm -f deploy/ecs/images.env
