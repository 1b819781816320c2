#!/usr/bin/env bash
# The Amazon RDS CA bundle, put in certs/rds-global-bundle.pem before the app image is built
# (certs/README.md: production's DB_SSL=verify-full reads it): from the file RDS_CA_BUNDLE names,
# else the one there already, else downloaded from Amazon. npm run push runs it before its build,
# CI's images job before its own (the deploy workflow pushes the images CI built).
#   deploy/ecr/rds-ca-bundle.sh [--dry-run]   (--dry-run: print the commands only)
set -euo pipefail
cd "$(dirname "$0")/../.."
die() { printf 'rds-ca-bundle: %s\n' "$*" >&2; exit 1; }
dry_run=; [ "${1:-}" != --dry-run ] || dry_run=1
run() { printf '+ %s\n' "$*"; [ -n "$dry_run" ] || "$@"; }

bundle=certs/rds-global-bundle.pem
if [ -n "${RDS_CA_BUNDLE:-}" ]; then
  [ -s "$RDS_CA_BUNDLE" ] || die "RDS_CA_BUNDLE=$RDS_CA_BUNDLE: no such file"
  [ "$(realpath "$RDS_CA_BUNDLE")" = "$(realpath -m "$bundle")" ] || run cp "$RDS_CA_BUNDLE" "$bundle"
elif [ ! -s "$bundle" ]; then
  run curl -fsSL --max-time 60 -o "$bundle" https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem \
    || die "could not download the RDS CA bundle: put it in $bundle or name it with RDS_CA_BUNDLE"
fi
[ -n "$dry_run" ] || grep -q 'BEGIN CERTIFICATE' "$bundle" || die "$bundle is not a PEM certificate bundle"
