#!/usr/bin/env bash
# compose.yaml validates with its .env defaults (docker compose, or Debian's docker-compose), and
# holds no credential of its own: without .env it refuses to render.
set -euo pipefail
if docker compose version >/dev/null 2>&1; then compose=(docker compose)
else
  command -v docker-compose >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null; }
  compose=(docker-compose)
fi
"${compose[@]}" -f compose.yaml config -q
"${compose[@]}" -f compose.yaml config | grep -Eq 'published: "?8080|8080:80' || { echo "nginx is not published on 8080" >&2; exit 1; }
empty=$(mktemp)
trap 'rm -f "$empty"' EXIT
if "${compose[@]}" --env-file "$empty" -f compose.yaml config -q 2>/dev/null; then
  echo "compose.yaml renders without .env: a credential is written in it" >&2; exit 1
fi
echo "compose.yaml is valid (${compose[*]}), its credentials come from .env"
