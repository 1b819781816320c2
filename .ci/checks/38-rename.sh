#!/usr/bin/env bash
# `npm run rename -- <name>` as a team taking the service over runs it, on a fresh clone: then
# the unit tier, the OpenAPI document's lint (its title is the new name) and `cdk synth` of both
# stages (the stacks are the new name's), and no trace of the old name in any tracked file or
# synthesized template. Renaming back gives the commit's tree again: nothing but the name changed.
set -euo pipefail
root=$PWD
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
git clone -q "$root" "$dir/clone"
cd "$dir/clone"
old=$(node -p 'require("./package.json").name')
# A name the tree does not hold, so that renaming back must give the commit's tree exactly.
new="svc$RANDOM$RANDOM-renamed"
npm ci --no-audit --no-fund >/dev/null
npm run rename -- "$new"

# Every spelling of the old name (kebab, snake, SCREAMING, Pascal, camel, Title), case-blind.
trace=$(node --input-type=module -e "
  const { spellings } = await import('./scripts/rename.ts')
  console.log([...new Set(spellings('$old').map((s) => s.toLowerCase()))].join('|'))
")
if leftover=$(git grep -n -i -E "$trace"); then
  echo "rename check FAILED: the old name $old is left in tracked files:" >&2; echo "$leftover" | head -20 >&2; exit 1
fi
[ "$(node -p 'require("./package.json").name')" = "$new" ] || { echo "rename check FAILED: package.json is not named $new" >&2; exit 1; }

npm run test:unit
TEST_DATABASE_URL=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres} TEST_REDIS_URL=${TEST_REDIS_URL:-redis://127.0.0.1:6379} \
  npx tap --disable-coverage test/openapi.test.ts

(
  cd deploy/infra
  npm ci --no-audit --no-fund >/dev/null
  export CDK_DISABLE_CLI_TELEMETRY=true
  digest=sha256:$(printf '%064d' 0)
  prod_edge=(-c certificateArn=arn:aws:acm:eu-west-1:123456789012:certificate/0b7e9f0e-1111-2222-3333-444455556666 -c domainName=api.example.com)
  for stage in dev prod; do
    out=$(mktemp -d)
    edge=(); [ "$stage" = dev ] || edge=("${prod_edge[@]}")
    npx cdk synth --no-lookups -q -o "$out" -c "stage=$stage" -c "githubRepository=acme/$new" \
      -c "appImageDigest=$digest" -c "nginxImageDigest=$digest" "${edge[@]}" >/dev/null
    for stack in "$new-account" "$new-$stage-registry" "$new-$stage-data" "$new-$stage-service"; do
      [ -f "$out/$stack.template.json" ] || { echo "rename check FAILED: cdk synth ($stage) made no stack $stack: $(ls "$out")" >&2; exit 1; }
    done
    if leftover=$(grep -l -i -E "$trace" "$out"/*.json); then
      echo "rename check FAILED: the old name $old is in the synthesized $stage templates: $leftover" >&2; exit 1
    fi
    grep -q "\"$new-$stage\"" "$out/$new-$stage-service.template.json" || { echo "rename check FAILED: no $new-$stage name in the service stack" >&2; exit 1; }
    rm -rf "$out"
  done
)

npm run rename -- "$old" >/dev/null
changed=$(git status --porcelain --untracked-files=no)
[ -z "$changed" ] || { echo "rename check FAILED: renaming back to $old did not give the commit's tree:" >&2; echo "$changed" >&2; git diff | head -40 >&2; exit 1; }
echo "renamed $old to $new on a fresh clone: unit tier, OpenAPI lint and title, cdk synth of dev and prod (stacks $new-…) pass; no trace of $old; renaming back gives the commit's tree"
