#!/usr/bin/env bash
# Builds the app and nginx images on the stand-in base images and checks them running with host
# networking against this machine's PostgreSQL and Redis.
set -euo pipefail
if [ -z "${ENGINE:-}" ]; then echo "!!!!! NO CONTAINER ENGINE: container checks SKIPPED !!!!!"; exit 0; fi
fail() { echo "container check FAILED: $*" >&2; exit 1; }
app_image=ecs-microservice-ci:app nginx_image=ecs-microservice-ci:nginx
app=ci-app-$$ nginx=ci-nginx-$$
cleanup() { docker rm -f "$app" "$nginx" >/dev/null 2>&1 || true; }
trap cleanup EXIT

DOCKER_BUILDKIT=0 docker build -q --network host -t "$app_image" . >/dev/null
DOCKER_BUILDKIT=0 docker build -q --network host -t "$nginx_image" deploy/nginx >/dev/null
echo "app image size: $(docker image inspect -f '{{.Size}}' "$app_image" | awk '{printf "%.0f MB", $1/1e6}')"

db=ci_container_$$
psql -q -h 127.0.0.1 -U postgres -c "CREATE DATABASE $db" >/dev/null
trap 'cleanup; psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null' EXIT

start=$(date +%s%N)
docker run -d --name "$app" --network host -e PORT=3911 -e DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db" \
  -e REDIS_URL=redis://127.0.0.1:6379 -e REDIS_KEY_PREFIX="ci-container-$$:" "$app_image" >/dev/null
for _ in $(seq 1 150); do
  curl -sf http://127.0.0.1:3911/health/live >/dev/null && break; sleep 0.02
done
live_ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "first passing /health/live after $live_ms ms"
[ "$live_ms" -lt 2000 ] || fail "the app took $live_ms ms to pass its health check (limit 2 s)"
for _ in $(seq 1 60); do
  [ "$(docker inspect -f '{{.State.Health.Status}}' "$app")" = healthy ] && break; sleep 0.25
done
[ "$(docker inspect -f '{{.State.Health.Status}}' "$app")" = healthy ] || fail "the HEALTHCHECK did not turn healthy"
echo "HEALTHCHECK healthy after $(( ($(date +%s%N) - start) / 1000000 )) ms"

[ "$(docker exec "$app" id -u)" != 0 ] || fail "the app runs as root"
echo "runs as $(docker exec "$app" id -un)"
for dev in tap typescript testcontainers eslint fastify-cli autocannon; do
  docker exec "$app" test ! -e "node_modules/$dev" || fail "dev dependency $dev is in the image"
done
docker exec "$app" node -e 'process.exit(process.env.NODE_ENV === "production" ? 0 : 1)' || fail "NODE_ENV is not production"
[ "$(docker inspect -f '{{index .Config.Cmd 0}}' "$app_image")" = node ] || fail "CMD is not exec-form node"

# nginx image in front of it
docker run -d --name "$nginx" --network host -e APP_UPSTREAM=127.0.0.1:3911 -e NGINX_PORT=18091 "$nginx_image" >/dev/null
for _ in $(seq 1 100); do curl -sf http://127.0.0.1:18091/nginx-health >/dev/null && break; sleep 0.1; done
[ "$(curl -s http://127.0.0.1:18091/nginx-health)" = healthy ] || fail "nginx image: /nginx-health"
curl -s -D - -o /dev/null http://127.0.0.1:18091/api/info | grep -qi '^x-frame-options: DENY' || fail "nginx image: headers"
curl -s http://127.0.0.1:18091/api/users | grep -q '"users"' || fail "nginx image: proxying"
[ "$(docker inspect -f '{{.Config.StopSignal}}' "$nginx_image")" = SIGQUIT ] || fail "nginx image: STOPSIGNAL"
echo "nginx image proxies to the app"

# docker stop while requests are in flight: every request answered, exit 0 well within the timeout
results=$(mktemp)
for w in $(seq 1 8); do
  ( for i in $(seq 1 200); do
      code=$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:3911/api/info) || code=refused
      echo "$code"; [ "$code" = refused ] && break
    done >> "$results" ) &
done
sleep 1
stop_start=$(date +%s%N)
docker stop -t 30 "$app" >/dev/null
stop_ms=$(( ($(date +%s%N) - stop_start) / 1000000 ))
wait
code=$(docker inspect -f '{{.State.ExitCode}}' "$app")
ok=$(grep -c '^200$' "$results" || true)
bad=$( (grep -v -e '^200$' -e '^refused$' -e '^503$' "$results" || true) | wc -l)
echo "docker stop: exit code $code after $stop_ms ms; $ok answered 200, $bad failed, then new connections refused"
[ "$code" = 0 ] || fail "exit code $code on docker stop"
[ "$stop_ms" -lt 10000 ] || fail "stop took $stop_ms ms"
[ "$bad" = 0 ] || fail "$bad requests failed during shutdown"
[ "$ok" -gt 0 ] || fail "no request was answered"
