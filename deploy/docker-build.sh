#!/usr/bin/env bash
# docker build with the arguments given (the last one is the context, whose Dockerfile is used).
# The app's Dockerfile uses HEALTHCHECK --start-interval, which Docker 25 and later understand;
# an older engine (Debian bookworm's docker.io is 20.10) refuses the whole file. There the image
# is built without that flag, said loudly: its container then turns healthy at the first full
# interval instead of within about a second.
#   deploy/docker-build.sh [docker build options] CONTEXT
set -euo pipefail
context=${!#}
dockerfile=$context/Dockerfile
major=$(docker version --format '{{.Server.Version}}' | cut -d. -f1)
if [ "$major" -lt 25 ] && grep -q -- '--start-interval' "$dockerfile"; then
  echo "docker-build: Docker engine $(docker version --format '{{.Server.Version}}') < 25 cannot read HEALTHCHECK --start-interval: building $dockerfile WITHOUT it" >&2
  stripped=$(mktemp)
  trap 'rm -f "$stripped"' EXIT
  sed 's/ --start-interval=[^ ]*//' "$dockerfile" > "$stripped"
  DOCKER_BUILDKIT=0 docker build -f "$stripped" "$@"
else
  docker build "$@"
fi
