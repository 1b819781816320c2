#!/usr/bin/env bash
# The two images to deploy, as REPOSITORY_URI@sha256:DIGEST, written as app_image= and
# nginx_image= lines to $GITHUB_OUTPUT (or printed): from deploy/ecs/images.env, which
# `npm run push` wrote, or, with --tag TAG, from the images tagged TAG in ECR (a rollback), or,
# with --commit, from those tagged with the checked-out commit (a dispatch: pushed by CI's deploy).
#   deploy/ci/resolve-images.sh [--dry-run] [--tag TAG | --commit] --registry REGISTRY
set -euo pipefail
dry_run='' tag='' commit='' registry=''
while [ $# -gt 0 ]; do
  case $1 in
    --dry-run) dry_run=1 ;;
    --tag) tag=${2:-}; shift ;;
    --commit) commit=1 ;;
    --registry) registry=${2:?}; shift ;;
    *) echo "resolve-images: unknown argument $1" >&2; exit 1 ;;
  esac
  shift
done
root=$(cd "$(dirname "$0")/../.." && pwd)
if [ -n "$commit" ]; then # the tag npm run push gives this tree's images
  tag=$(git -C "$root" rev-parse --short HEAD)
  [ -z "$(git -C "$root" status --porcelain)" ] || tag="$tag-dirty"
fi
app_repository=${APP_REPOSITORY:-ecs-microservices/app} nginx_repository=${NGINX_REPOSITORY:-ecs-microservices/nginx}
errors=$(mktemp)
trap 'rm -f "$errors"' EXIT
digest() { # repository tag
  printf '+ aws ecr describe-images --repository-name %s --image-ids imageTag=%s\n' "$1" "$2" >&2
  if [ -n "$dry_run" ]; then echo "sha256:$(printf '%064d' 0)"; return; fi
  aws ecr describe-images --repository-name "$1" --image-ids "imageTag=$2" --query 'imageDetails[0].imageDigest' --output text 2>"$errors" && return
  grep -q ImageNotFoundException "$errors" || { echo "resolve-images: aws ecr describe-images --repository-name $1 failed: $(tr -s '\n' ' ' < "$errors")" >&2; exit 1; }
  local hint=": this commit's images are pushed by the deploy of CI's run on it; re-run that deploy (CI keeps its images 7 days), or dispatch with image-tag set to a tag in ECR"
  echo "resolve-images: no image tagged $2 in $1${commit:+$hint}" >&2
  exit 1
}
if [ -n "$tag" ]; then
  [ -n "$registry" ] || { echo "resolve-images: --registry is needed with --tag or --commit" >&2; exit 1; }
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
