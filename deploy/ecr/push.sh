#!/usr/bin/env bash
# npm run push -- [--dry-run] [--registry HOST[:PORT]] [--version VERSION] [--images FILE]
#
# Builds the app image (Dockerfile) and the nginx image (deploy/nginx) for linux/amd64, or takes
# them from FILE (--images), tags each with the git commit (short SHA, "-dirty" when the tree has
# uncommitted changes) and, if given, VERSION; logs in to Amazon ECR and pushes both; prints each
# image's digest and writes the image URIs to deploy/ecs/images.env, from which `npm run deploy`
# and the deploy workflow take the digests. ECR's tags are immutable and builds not reproducible:
# an image whose tags ECR has already is neither built nor pushed, its digest is ECR's (a re-run).
#
# Environment: AWS_REGION (or AWS_DEFAULT_REGION), unless --registry names an ECR host;
# AWS_ACCOUNT_ID (else from `aws sts get-caller-identity`); APP_REPOSITORY (ecs-microservices/app);
# NGINX_REPOSITORY (ecs-microservices/nginx); RDS_CA_BUNDLE, a PEM file to build into the app
# image as certs/rds-global-bundle.pem (else the bundle there, else downloaded from Amazon);
# CI_IMAGE (ecs-microservice-ci), with --images: the images are CI_IMAGE:app and CI_IMAGE:nginx.
#   --dry-run        print every command instead of running it
#   --registry HOST  push to that registry: an ECR one (ACCOUNT.dkr.ecr.REGION.amazonaws.com, the
#                    region taken from it) after an ECR login, any other without a login
#   --version V      also tag the images V (e.g. 1.4.0)
#   --images FILE    build nothing: push the images CI built and tested, loaded from FILE
#                    (deploy/ecr/save-images.sh wrote it; the deploy workflow)
set -euo pipefail
cd "$(dirname "$0")/../.."

die() { printf 'push: %s\n' "$*" >&2; exit 1; }
dry_run=
registry=
version=
images_file=
while [ $# -gt 0 ]; do
  case $1 in
    --dry-run) dry_run=1 ;;
    --registry) registry=${2:?--registry needs HOST[:PORT]}; shift ;;
    --registry=*) registry=${1#*=} ;;
    --version) version=${2:?--version needs a value}; shift ;;
    --version=*) version=${1#*=} ;;
    --images) images_file=${2:?--images needs a file}; shift ;;
    --images=*) images_file=${1#*=} ;;
    -h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
  shift
done
[ -z "$version" ] || [[ $version =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] || die "not a valid image tag: $version"

app_repository=${APP_REPOSITORY:-ecs-microservices/app}
nginx_repository=${NGINX_REPOSITORY:-ecs-microservices/nginx}
ci_image=${CI_IMAGE:-ecs-microservice-ci}

run() { # prints the command; runs it unless --dry-run
  printf '+ %s\n' "$*"
  [ -n "$dry_run" ] || "$@"
}

# ---- everything that can be missing is checked before anything is built ----
command -v git >/dev/null || die "git is required (the image tag is the commit)"
if [ -z "$dry_run" ]; then
  command -v docker >/dev/null || die "docker is not installed: https://docs.docker.com/get-docker/"
  docker info >/dev/null 2>&1 || die "docker is installed but its engine does not answer (is the daemon running?)"
fi

# An ECR registry is <account>.dkr.ecr.<region>.amazonaws.com (as the deploy workflow's ECR login
# step names it): its login token is the region's, so the region is the host name's.
ecr_host='^[0-9]{12}\.dkr\.ecr(-fips)?\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$'
ecr=
region=${AWS_REGION:-${AWS_DEFAULT_REGION:-}}
if [ -z "$registry" ]; then
  ecr=1
  [ -n "$region" ] || die "AWS_REGION is not set (the region of the ECR repositories)"
  account=${AWS_ACCOUNT_ID:-}
  if [ -z "$dry_run" ]; then
    command -v aws >/dev/null || die "the AWS CLI (aws) is not installed: https://aws.amazon.com/cli/"
    if [ -z "$account" ]; then
      account=$(aws sts get-caller-identity --query Account --output text 2>/dev/null) \
        || die "no AWS credentials: aws sts get-caller-identity failed (set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or AWS_ACCOUNT_ID)"
    fi
  fi
  account=${account:-<aws-account-id>}
  registry="$account.dkr.ecr.$region.amazonaws.com"
elif [[ $registry =~ $ecr_host ]]; then
  ecr=1 region=${BASH_REMATCH[2]}
elif [[ ${registry%:*} == *.amazonaws.com || ${registry%:*} == *.amazonaws.com.cn ]]; then
  ecr=1
  [ -n "$region" ] || die "--registry $registry: no region in the host name (ACCOUNT.dkr.ecr.REGION.amazonaws.com) and AWS_REGION is not set"
fi
[ -z "$ecr" ] || [ -n "$dry_run" ] || command -v aws >/dev/null || die "the AWS CLI (aws) is not installed (the ECR login needs it): https://aws.amazon.com/cli/"

tag=$(git rev-parse --short HEAD) || die "not a git checkout"
[ -z "$(git status --porcelain)" ] || tag="$tag-dirty"

app_image="$registry/$app_repository"
nginx_image="$registry/$nginx_repository"
tags=("$tag")
[ -z "$version" ] || tags+=("$version")

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# shellcheck source=deploy/ci/lib.sh
source deploy/ci/lib.sh

# ---- what ECR has already: an image whose tags are all there is not built or pushed again ----
# in_ecr REPOSITORY: sets found to the digest REPOSITORY's tags have in ECR, empty when it has none
# of them. ImageNotFoundException is "none"; any other error stops the push.
in_ecr() {
  local repository=$1 t digest status have=() missing=()
  found=
  for t in "${tags[@]}"; do
    status=0
    digest=$(ask "" aws ecr describe-images --region "$region" --repository-name "$repository" --image-ids "imageTag=$t" \
      --query 'imageDetails[0].imageDigest' --output text 2>"$tmp/error") || status=$?
    grep '^+ ' "$tmp/error" || true
    if [ "$status" != 0 ]; then
      grep -q ImageNotFoundException "$tmp/error" || die "aws ecr describe-images --repository-name $repository --image-ids imageTag=$t failed (exit $status), nothing was pushed: $(grep -v '^+ ' "$tmp/error" | tr -s '\n' ' ')"
      missing+=("$t")
    elif [ -n "$digest" ]; then
      [[ $digest =~ ^sha256:[0-9a-f]{64}$ ]] || die "$repository:$t: ECR answered no digest ('$digest'), nothing was pushed"
      [ -z "$found" ] || [ "$digest" = "$found" ] || die "$repository: tags ${tags[*]} are on different images in ECR ($found, $digest), nothing was pushed"
      found=$digest have+=("$t")
    else
      missing+=("$t")
    fi
  done
  [ -z "$found" ] || [ ${#missing[@]} = 0 ] || die "$repository: ${have[*]} in ECR already (on $found), ${missing[*]} not: ECR's tags are immutable, so ${missing[*]} cannot go on another build; nothing was pushed (docs/operations.md, a version tag for pushed images)"
}
app_found='' nginx_found=''
if [ -n "$ecr" ]; then
  in_ecr "$app_repository"; app_found=$found
  in_ecr "$nginx_repository"; nginx_found=$found
  # A tree with uncommitted changes builds other images under the same tag.
  [[ $tag != *-dirty || -z "$app_found$nginx_found" ]] || die "images tagged $tag are in ECR already and this tree has uncommitted changes: commit, then push; nothing was pushed"
fi

# ---- the images: built here, or CI's from --images ----
app_tags=(); nginx_tags=()
for t in "${tags[@]}"; do app_tags+=(-t "$app_image:$t"); nginx_tags+=(-t "$nginx_image:$t"); done
if [ -n "$images_file" ]; then
  if [ -z "$app_found" ] || [ -z "$nginx_found" ]; then
    [ -n "$dry_run" ] || [ -s "$images_file" ] || die "--images $images_file: no such file"
    run docker load -i "$images_file"
  fi
  for t in "${tags[@]}"; do
    [ -n "$app_found" ] || run docker tag "$ci_image:app" "$app_image:$t"
    [ -n "$nginx_found" ] || run docker tag "$ci_image:nginx" "$nginx_image:$t"
  done
else
  # The RDS CA bundle, built into the app image for DB_SSL=verify-full (certs/README.md)
  [ -n "$app_found" ] || deploy/ecr/rds-ca-bundle.sh ${dry_run:+--dry-run}
  [ -n "$app_found" ] || run deploy/docker-build.sh --platform linux/amd64 --network host "${app_tags[@]}" .
  [ -n "$nginx_found" ] || run docker build --platform linux/amd64 --network host "${nginx_tags[@]}" deploy/nginx
fi

# ---- log in (ECR only, when there is something to push) ----
if [ -n "$ecr" ] && { [ -z "$app_found" ] || [ -z "$nginx_found" ]; }; then
  printf '+ aws ecr get-login-password --region %s | docker login --username AWS --password-stdin %s\n' "$region" "$registry"
  if [ -z "$dry_run" ]; then
    aws ecr get-login-password --region "$region" | docker login --username AWS --password-stdin "$registry" \
      || die "ECR login failed for $registry"
  fi
fi

# ---- push, and report each digest ----
push() { # image:tag -> prints image@digest
  local ref=$1 out digest
  printf '+ docker push %s\n' "$ref"
  [ -z "$dry_run" ] || return 0
  out=$(docker push "$ref") || die "push of $ref failed"
  digest=$(sed -nE 's/.*digest: (sha256:[0-9a-f]{64}).*/\1/p' <<<"$out" | tail -1)
  [ -n "$digest" ] || die "no digest in the output of docker push $ref"
  printf 'pushed %s  %s@%s\n' "$ref" "${ref%:*}" "$digest"
  printf '%s@%s' "${ref%:*}" "$digest" > "$tmp/$(basename "${ref%:*}")"
}
for image in "$app_image=$app_found" "$nginx_image=$nginx_found"; do
  digest=${image#*=} image=${image%%=*}
  if [ -n "$digest" ]; then
    printf 'already in ECR, not pushed (a re-run): %s:%s  %s@%s\n' "$image" "$tag" "$image" "$digest"
    printf '%s@%s' "$image" "$digest" > "$tmp/$(basename "$image")"
  else
    for t in "${tags[@]}"; do push "$image:$t"; done
  fi
done

if [ -z "$dry_run" ]; then
  mkdir -p deploy/ecs
  {
    echo "# written by npm run push: the images npm run deploy puts in the task definitions"
    echo "COMMIT=$tag"
    echo "APP_IMAGE=$(cat "$tmp/$(basename "$app_image")")"
    echo "NGINX_IMAGE=$(cat "$tmp/$(basename "$nginx_image")")"
  } > deploy/ecs/images.env
  echo "image URIs written to deploy/ecs/images.env"
fi
