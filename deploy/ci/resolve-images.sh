#!/usr/bin/env bash
# The two images to deploy, as REPOSITORY_URI@sha256:DIGEST, written as app_image= and
# nginx_image= lines to $GITHUB_OUTPUT (or printed): from deploy/ecs/images.env, which
# `npm run push` wrote, or, with --tag TAG, from the images tagged TAG in ECR (a rollback).
#   deploy/ci/resolve-images.sh [--dry-run] [--tag TAG] --registry REGISTRY
set -euo pipefail
dry_run='' tag='' registry=''
while [ $# -gt 0 ]; do
  case $1 in
    --dry-run) dry_run=1 ;;
    --tag) tag=${2:-}; shift ;;
    --registry) registry=${2:?}; shift ;;
    *) echo "resolve-images: unknown argument $1" >&2; exit 1 ;;
  esac
  shift
done
root=$(cd "$(dirname "$0")/../.." && pwd)
app_repository=${APP_REPOSITORY:-ecs-microservices/app} nginx_repository=${NGINX_REPOSITORY:-ecs-microservices/nginx}
digest() { # repository tag
  printf '+ aws ecr describe-images --repository-name %s --image-ids imageTag=%s\n' "$1" "$2" >&2
  if [ -n "$dry_run" ]; then echo "sha256:$(printf '%064d' 0)"; else
    aws ecr describe-images --repository-name "$1" --image-ids "imageTag=$2" --query 'imageDetails[0].imageDigest' --output text
  fi
}
if [ -n "$tag" ]; then
  [ -n "$registry" ] || { echo "resolve-images: --registry is needed with --tag" >&2; exit 1; }
  app="$registry/$app_repository@$(digest "$app_repository" "$tag")"
  nginx="$registry/$nginx_repository@$(digest "$nginx_repository" "$tag")"
else
  [ -f "$root/deploy/ecs/images.env" ] || { echo "resolve-images: no deploy/ecs/images.env: run npm run push first, or give --tag" >&2; exit 1; }
  app=$(sed -n 's/^APP_IMAGE=//p' "$root/deploy/ecs/images.env")
  nginx=$(sed -n 's/^NGINX_IMAGE=//p' "$root/deploy/ecs/images.env")
fi
for image in "$app" "$nginx"; do
  [[ $image =~ @sha256:[0-9a-f]{64}$ ]] || { echo "resolve-images: not pinned by digest: '$image'" >&2; exit 1; }
done
printf 'app_image=%s\nnginx_image=%s\n' "$app" "$nginx" | tee -a "${GITHUB_OUTPUT:-/dev/null}"
