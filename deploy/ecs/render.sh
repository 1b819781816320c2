#!/usr/bin/env bash
# Renders deploy/ecs/task-definition.template.json into a task definition for
#   aws ecs register-task-definition --cli-input-json file://task-definition.json
# The image URIs come from deploy/ecs/images.env (written by `npm run push`) unless APP_IMAGE
# and NGINX_IMAGE are set. Every other variable below must be set; none has a silent default.
#   deploy/ecs/render.sh [OUT]      (OUT defaults to deploy/ecs/task-definition.json)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/task-definition.json}
if [ -f "$here/images.env" ]; then
  while IFS='=' read -r key value; do
    case $key in APP_IMAGE|NGINX_IMAGE) [ -n "${!key:-}" ] || export "$key=$value" ;; esac
  done < <(grep -E '^(APP_IMAGE|NGINX_IMAGE)=' "$here/images.env")
fi
export SERVICE_NAME=${SERVICE_NAME:-ecs-microservice}
required=(APP_IMAGE NGINX_IMAGE AWS_REGION EXECUTION_ROLE_ARN TASK_ROLE_ARN DB_HOST DB_NAME DB_USER
  DB_PASSWORD_SECRET_ARN REDIS_HOST REDIS_AUTH_SECRET_ARN LOG_GROUP ALB_SUBNET_CIDR)
missing=()
for name in "${required[@]}"; do [ -n "${!name:-}" ] || missing+=("$name"); done
[ ${#missing[@]} -eq 0 ] || { echo "render: set ${missing[*]} (APP_IMAGE/NGINX_IMAGE: run npm run push first)" >&2; exit 1; }
vars=$(printf '${%s} ' SERVICE_NAME "${required[@]}")
envsubst "$vars" < "$here/task-definition.template.json" > "$out"
node -e 'JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"))' "$out"
echo "task definition written to $out"
