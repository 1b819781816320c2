#!/usr/bin/env bash
# compose.yaml validates with its .env defaults (docker compose, or Debian's docker-compose), its
# observability profile sends the app's traces to its collector, and it holds no credential of its
# own: without .env it refuses to render.
set -euo pipefail
if docker compose version >/dev/null 2>&1; then compose=(docker compose)
else
  command -v docker-compose >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null; }
  compose=(docker-compose)
fi
"${compose[@]}" -f compose.yaml config -q
"${compose[@]}" -f compose.yaml config | grep -E 'published: "?8080|8080:80' >/dev/null || { echo "nginx is not published on 8080" >&2; exit 1; }
# The observability profile adds the collector and Jaeger, and the app exports to that collector
# unless told otherwise: `--profile observability` is all it takes to see traces.
profile=$("${compose[@]}" -f compose.yaml --profile observability config)
for service in otel-collector jaeger; do
  grep -q "^  $service:" <<<"$profile" || { echo "the observability profile has no $service" >&2; exit 1; }
done
grep -q 'OTEL_EXPORTER_OTLP_ENDPOINT: http://otel-collector:4318' <<<"$profile" || { echo "the app does not export to the profile's collector by default" >&2; exit 1; }
empty=$(mktemp)
trap 'rm -f "$empty"' EXIT
if "${compose[@]}" --env-file "$empty" -f compose.yaml config -q 2>/dev/null; then
  echo "compose.yaml renders without .env: a credential is written in it" >&2; exit 1
fi
echo "compose.yaml is valid (${compose[*]}), its observability profile receives the app's telemetry, its credentials come from .env"
