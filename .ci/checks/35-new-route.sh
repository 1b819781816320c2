#!/usr/bin/env bash
# A newcomer's path, as docs/extending.md gives it: the route and the test of "Add a route",
# copied out of that page, then the commands it names: the type check, lint, that test, the
# OpenAPI document's lint and its match with the router (test/openapi.test.ts), and the
# infrastructure's tests (the dashboard reads the routes from routes/). Nothing else is edited;
# both files are removed again, also when a step fails.
set -euo pipefail
page=docs/extending.md
files=$(sed -n 's/^```ts file=\(.*\)$/\1/p' "$page")
[ -n "$files" ] || { echo "new-route check FAILED: no \`\`\`ts file=… block in $page" >&2; exit 1; }
cleanup() { for f in $files; do rm -f "$f"; done; }
trap cleanup EXIT
for f in $files; do
  [ ! -e "$f" ] || { echo "new-route check FAILED: $f exists already" >&2; exit 1; }
  awk -v want="$f" '$0 == "```ts file=" want { on = 1; next } on && /^```$/ { on = 0 } on' "$page" > "$f"
  echo "added $f ($(wc -l < "$f") lines) from $page"
done
before=$(git status --porcelain --untracked-files=all | grep -vF "$(printf '%s\n' "$files" | sed 's/^/?? /')" || true)
npm run typecheck
npm run lint
test_file=$(grep '^test/' <<<"$files")
npx tap --disable-coverage "$test_file" test/openapi.test.ts
(cd deploy/infra && npm ci --no-audit --no-fund >/dev/null && npm test)
# The new route is on the dashboard: synthesized from routes/ with no edit in deploy/infra.
route=$(sed -n "s/.*fastify\.get('\([^']*\)'.*/\1/p" "$(grep '^routes/' <<<"$files")")
(cd deploy/infra && node --input-type=module -e "
  const { ROUTES } = await import('./lib/constructs/collector.ts')
  if (!ROUTES.some(([m, r]) => m === 'GET' && r === '/api$route')) { console.error('GET /api$route is not among the dashboard routes: ' + JSON.stringify(ROUTES)); process.exit(1) }
  console.log('the dashboard graphs GET /api$route')
")
after=$(git status --porcelain --untracked-files=all | grep -vF "$(printf '%s\n' "$files" | sed 's/^/?? /')" || true)
[ "$before" = "$after" ] || { echo "new-route check FAILED: adding the route changed other files:" >&2; diff <(echo "$before") <(echo "$after") >&2; exit 1; }
echo "a route and its test from $page: type check, lint, its test, the OpenAPI lint and the infrastructure tests pass, no other file touched"
