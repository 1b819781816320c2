#!/usr/bin/env bash
# `npm run dev` on this clone with nothing configured (the README's Start path: embedded database
# and cache): it must serve, stay up without restarting (the embedded database writes under
# .data/, which the watcher ignores), and serve a changed route file after reloading.
set -euo pipefail
port=3979
log=$(mktemp)
route=routes/root.ts
backup=$(mktemp)
cp "$route" "$backup"
# The default data directory, .data/pglite inside the project, as on a fresh clone.
fresh=; [ -e .data ] || fresh=1
# The server in a process group of its own, so that fastify-cli and its child go together.
setsid env -u DATABASE_URL -u DB_HOST -u REDIS_URL -u REDIS_HOST -u NODE_ENV \
  PORT=$port HOST=127.0.0.1 npm run dev > "$log" 2>&1 < /dev/null &
pid=$!
cleanup() { cp "$backup" "$route"; kill -- -"$pid" 2>/dev/null || true; sleep 1; kill -9 -- -"$pid" 2>/dev/null || true; [ -z "$fresh" ] || rm -rf .data; }
trap cleanup EXIT
fail() { echo "dev server check FAILED: $*" >&2; tail -40 "$log" >&2; exit 1; }
restarts() { grep -c 'Restarting\|restart' "$log" || true; }

for _ in $(seq 1 180); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 1; done
curl -sf "http://127.0.0.1:$port/health" | grep '"status":"healthy"' >/dev/null || fail "npm run dev did not serve /health within 180 s"
echo "npm run dev serves /health (embedded database and cache)"
before=$(restarts)
sleep 10
[ "$(restarts)" = "$before" ] || fail "the dev server restarted on its own ($(restarts) restarts): a file it writes is watched"
curl -sf "http://127.0.0.1:$port/" | grep '"message":"Welcome to ' >/dev/null || fail "GET / before the change"
echo "no restart in 10 s of serving"

# shellcheck disable=SC2016 # the TypeScript template literal is the text replaced, not shell
sed -i 's/message: `Welcome to ${SERVICE_NAME}`/message: `Welcome (changed by the dev check) to ${SERVICE_NAME}`/' "$route"
grep -q 'changed by the dev check' "$route" || fail "could not change $route"
for _ in $(seq 1 120); do
  curl -sf "http://127.0.0.1:$port/" 2>/dev/null | grep 'changed by the dev check' >/dev/null && break; sleep 1
done
curl -sf "http://127.0.0.1:$port/" | grep 'changed by the dev check' >/dev/null || fail "the changed route was not served within 120 s"
echo "a change to $route is served after the reload"
