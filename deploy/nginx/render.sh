#!/usr/bin/env bash
# Renders the nginx configuration into DIR as the image's entrypoint would (envsubst of the
# templates, substituting only variables that are set), for running Debian's nginx binary
# directly: `nginx -p DIR -c DIR/nginx.conf -e stderr`. Defaults are the image's (Dockerfile ENV).
#   deploy/nginx/render.sh DIR
# APP_UPSTREAM may name several instances, separated by commas or spaces (the image takes one
# name, which may resolve to several addresses): each becomes a `server` of the upstream.
set -euo pipefail
dir=${1:?usage: render.sh DIR}
here=$(cd "$(dirname "$0")" && pwd)
export APP_UPSTREAM=${APP_UPSTREAM:-app:3000} NGINX_PORT=${NGINX_PORT:-80} \
  NGINX_TRUSTED_PROXIES=${NGINX_TRUSTED_PROXIES:-10.0.0.0/8} \
  NGINX_RATE_LIMIT=${NGINX_RATE_LIMIT:-50r/s} NGINX_RATE_BURST=${NGINX_RATE_BURST:-100}
mkdir -p "$dir/conf.d"
cp "$here/nginx.conf" "$dir/nginx.conf"
cp /etc/nginx/mime.types "$dir/mime.types"
# envsubst's list of the variables to replace: ${NAME} for each one set (literal, not expanded),
# word-split on purpose.
# shellcheck disable=SC2016,SC2046
vars=$(printf '${%s} ' $(env | cut -d= -f1))
for template in "$here"/templates/*.template; do
  out="$dir/conf.d/$(basename "$template" .template)"
  envsubst "$vars" < "$template" \
    | awk '/^ *server [^;]*[ ,][^;]* max_fails=/ {
        line = $0; sub(/^ *server /, "", line); sub(/ max_fails=.*/, "", line)
        opts = $0; sub(/^.* max_fails=/, "max_fails=", opts)
        n = split(line, hosts, /[ ,]+/)
        for (i = 1; i <= n; i++) if (hosts[i] != "") printf "  server %s %s\n", hosts[i], opts
        next
      } { print }' > "$out"
done
