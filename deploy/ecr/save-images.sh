#!/usr/bin/env bash
# CI's images job, once the images' checks have passed on a push to main: writes the two images
# it built and tested, CI_IMAGE:app and :nginx (CI_IMAGE: ecs-microservice-ci), to FILE (docker
# save), which the deploy workflow pushes as they are (npm run push -- --images FILE) instead of
# building others. The app image must carry the RDS CA bundle that production's
# DB_SSL=verify-full reads (certs/README.md).
#   deploy/ecr/save-images.sh [--dry-run] FILE
set -euo pipefail
die() { printf 'save-images: %s\n' "$*" >&2; exit 1; }
dry_run=; [ "${1:-}" != --dry-run ] || { dry_run=1; shift; }
file=${1:?usage: deploy/ecr/save-images.sh [--dry-run] FILE}
run() { printf '+ %s\n' "$*"; [ -n "$dry_run" ] || "$@"; }
ci_image=${CI_IMAGE:-ecs-microservice-ci}
images=("$ci_image:app" "$ci_image:nginx")

if [ -z "$dry_run" ]; then
  for image in "${images[@]}"; do docker image inspect "$image" >/dev/null 2>&1 || die "no image $image (CI's images job builds it)"; done
  docker run --rm --entrypoint cat "$ci_image:app" /app/certs/rds-global-bundle.pem | grep 'BEGIN CERTIFICATE' >/dev/null \
    || die "$ci_image:app has no RDS CA bundle at /app/certs/rds-global-bundle.pem (deploy/ecr/rds-ca-bundle.sh before the build)"
fi
run docker save -o "$file" "${images[@]}"
[ -n "$dry_run" ] || echo "saved ${images[*]} to $file ($(du -h "$file" | cut -f1))"
