#!/usr/bin/env bash
# The infrastructure package (deploy/infra): its tests on the synthesized templates (cdk-nag's
# AwsSolutions rules run in every synth there) and `cdk synth` of both stages as a user runs it,
# offline: no credentials, no lookups.
set -euo pipefail
cd deploy/infra
npm ci --no-audit --no-fund
npm test
export CDK_DISABLE_CLI_TELEMETRY=true
digest=sha256:$(printf '%064d' 0)
# prod serves HTTPS at a name its certificate covers: it needs both (an example of each here).
prod_edge=(-c certificateArn=arn:aws:acm:eu-west-1:123456789012:certificate/0b7e9f0e-1111-2222-3333-444455556666 -c domainName=api.example.com)
for stage in dev prod; do
  out=$(mktemp -d)
  edge=(); [ "$stage" = dev ] || edge=("${prod_edge[@]}")
  said=$(npx cdk synth --no-lookups -q -o "$out" -c "stage=$stage" -c githubRepository=acme/ecs-microservice \
    -c "appImageDigest=$digest" -c "nginxImageDigest=$digest" "${edge[@]}" 2>&1)
  ls "$out"/*.template.json
  rm -rf "$out"
  # Nothing but the CLI's two lines: no unconfigured feature flags (cdk.json has those `cdk init`
  # writes for this aws-cdk-lib), no warning, no unacknowledged validation finding.
  extra=$(grep -vE '^\s*$|^Successfully synthesized to |^Supply a stack id ' <<<"$said" || true)
  [ -z "$extra" ] || { echo "cdk synth of $stage said more than it should:" >&2; echo "$extra" >&2; exit 1; }
done
# cdk.json's feature flags are the recommended ones of the installed aws-cdk-lib, every one.
node -e '
  const flags = require("./node_modules/aws-cdk-lib/recommended-feature-flags.json")
  const context = require("./cdk.json").context
  const off = Object.keys(flags).filter((k) => JSON.stringify(context[k]) !== JSON.stringify(flags[k]))
  if (off.length) { console.error("cdk.json differs from the recommended feature flags: " + off.join(", ")); process.exit(1) }
'
echo "cdk.json: the $(node -p 'Object.keys(require("./cdk.json").context).length') recommended feature flags of aws-cdk-lib $(node -p 'require("aws-cdk-lib/package.json").version')"
# A missing setting fails synth and names it.
if npx cdk synth --no-lookups -q -o "$(mktemp -d)" -c githubRepository=acme/ecs-microservice 2> /tmp/infra-synth.err; then
  echo "synth passed without the image digests" >&2; exit 1
fi
grep -q 'Invalid setting appImageDigest (missing)\|Invalid setting nginxImageDigest (missing)' /tmp/infra-synth.err || { cat /tmp/infra-synth.err >&2; exit 1; }
# prod without a certificate and its name: refused, both named.
if npx cdk synth --no-lookups -q -o "$(mktemp -d)" -c stage=prod -c githubRepository=acme/ecs-microservice \
  -c "appImageDigest=$digest" -c "nginxImageDigest=$digest" 2> /tmp/infra-synth.err; then
  echo "prod synthesized without certificateArn and domainName" >&2; exit 1
fi
grep -q 'prod: it needs certificateArn and domainName.*certificateArn is missing; domainName is missing' /tmp/infra-synth.err || { cat /tmp/infra-synth.err >&2; exit 1; }
# The first deploy's settings string (docs/operations.md, "Prerequisites and first deploy", step 4),
# as a newcomer copies it (its elided certificate ARN given a shape): prod synthesizes with it.
# shellcheck disable=SC2016 # the backquotes are the page's Markdown, not a command
doc_context=$(sed -n 's/^ *`export CDK_CONTEXT="\([^"]*\)"`\.$/\1/p' ../../docs/operations.md | head -1)
[ -n "$doc_context" ] || { echo "docs/operations.md: no export CDK_CONTEXT=\"...\" line in the first deploy's steps" >&2; exit 1; }
doc_args=()
for kv in ${doc_context//arn:aws:acm:.../arn:aws:acm:eu-west-1:123456789012:certificate/0b7e9f0e-1111-2222-3333-444455556666}; do doc_args+=(-c "$kv"); done
npx cdk synth --no-lookups -q -o "$(mktemp -d)" -c stage=prod "${doc_args[@]}" -c "appImageDigest=$digest" -c "nginxImageDigest=$digest" >/dev/null 2>/tmp/infra-doc-context.err \
  || { cat /tmp/infra-doc-context.err >&2; echo "the CDK_CONTEXT of docs/operations.md does not synthesize prod: $doc_context" >&2; exit 1; }
echo "cdk synth: dev and prod synthesize offline; a missing setting is named; prod needs a certificate and a domain; the settings of docs/operations.md synthesize prod"

# npm run deploy --dry-run: the account stack, the registry, then the migration task (its status
# read until it stops, then its exit code), then the service with the digests, in that order.
plan=$(bash scripts/deploy.sh --dry-run --stage prod --tag v1.2.3 2>&1)
echo "$plan"
order=$(grep -nE '^\+ cdk deploy ecs-microservice-account|^\+ cdk deploy ecs-microservice-prod-registry|^\+ aws ecs run-task|^\+ aws ecs describe-tasks|^\+ cdk deploy ecs-microservice-prod-service' <<<"$plan" | cut -d: -f1 | paste -sd' ')
if [ "$(tr ' ' '\n' <<<"$order" | sort -n | paste -sd' ')" != "$order" ] || [ "$(wc -w <<<"$order")" != 6 ]; then
  echo "deploy plan out of order: $order" >&2; exit 1
fi
grep -q 'imageTag=v1.2.3' <<<"$plan" || { echo "--tag did not select the images" >&2; exit 1; }
echo "npm run deploy --dry-run: account stack, registry, migrations, then the service"
