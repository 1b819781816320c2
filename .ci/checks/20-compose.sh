#!/usr/bin/env bash
# compose.yaml validates with its .env defaults (docker compose, or Debian's docker-compose).
set -euo pipefail
if docker compose version >/dev/null 2>&1; then compose=(docker compose)
else
  command -v docker-compose >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null; }
  compose=(docker-compose)
fi
"${compose[@]}" -f compose.yaml config -q
cp .env.example .env.ci-check
trap 'rm -f .env.ci-check' EXIT
"${compose[@]}" --env-file .env.ci-check -f compose.yaml config | grep -q 'published: 8080' || "${compose[@]}" --env-file .env.ci-check -f compose.yaml config | grep -q '8080:80'
echo "compose.yaml is valid (${compose[*]})"
