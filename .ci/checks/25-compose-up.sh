#!/usr/bin/env bash
# `docker compose up --build` on this clone: every service turns healthy and the API answers
# through nginx on http://localhost:8080 with migrations applied; then the stack is removed.
set -euo pipefail
if [ -z "${ENGINE:-}" ]; then echo "SKIPPED: no container engine"; exit 77; fi
fail() { echo "compose up FAILED: $*" >&2; "${compose[@]}" ps >&2 || true; "${compose[@]}" logs --tail 30 >&2 || true; exit 1; }
if docker compose version >/dev/null 2>&1; then compose=(docker compose -p ci-compose-check)
else compose=(docker-compose -p ci-compose-check)
fi
trap '"${compose[@]}" down -v --remove-orphans >/dev/null 2>&1 || true' EXIT
# The images compose would build, built first with the host's network: this machine's bridge
# reaches no registry, so `npm ci` inside a compose build would wait for ever. compose then
# uses them as they are (its image names: <project>_<service>, or <project>-<service> for compose v2).
if [ -n "${PREBUILT:-}" ]; then # built already as ecs-microservice-ci:app and :nginx (30-container.sh)
  for name in ci-compose-check_app ci-compose-check-app; do docker tag ecs-microservice-ci:app "$name"; done
  for name in ci-compose-check_nginx ci-compose-check-nginx; do docker tag ecs-microservice-ci:nginx "$name"; done
else
  deploy/docker-build.sh -q --network host -t ci-compose-check_app -t ci-compose-check-app . >/dev/null || fail "build app"
  DOCKER_BUILDKIT=0 docker build -q --network host -t ci-compose-check_nginx -t ci-compose-check-nginx deploy/nginx >/dev/null || fail "build nginx"
fi
"${compose[@]}" up -d >/dev/null 2>&1 || fail "up"
for _ in $(seq 1 120); do
  unhealthy=0
  for service in postgres redis app nginx; do
    id=$("${compose[@]}" ps -q "$service")
    [ "$(docker inspect -f '{{.State.Health.Status}}' "$id" 2>/dev/null)" = healthy ] || unhealthy=1
  done
  [ "$unhealthy" = 0 ] && break
  sleep 1
done
[ "$unhealthy" = 0 ] || fail "not every service turned healthy within 120 s"
echo "postgres, redis, app and nginx are healthy"
curl -sf http://localhost:8080/health | grep '"status":"healthy"' >/dev/null || fail "GET /health through nginx"
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'content-type: application/json' -d '{"username":"compose-check"}' http://localhost:8080/api/users)
[ "$code" = 201 ] || fail "POST /api/users answered $code"
curl -sf http://localhost:8080/api/users | grep '"compose-check"' >/dev/null || fail "GET /api/users"
echo "the stack serves on http://localhost:8080 with migrations applied"
