# shellcheck shell=bash
# Sourced by the checks that run the deploy scripts with the real AWS CLI v2 against the loopback
# stand-in endpoint (aws-endpoint.ts beside this file): .ci/checks/40-push.sh, 45-aws-cli.sh.

# aws_cli_v2: prints the path of an AWS CLI v2 (Debian's awscli package is one; installed if no
# v2 is found: a v1 first on PATH, as pyenv's, parses differently and is skipped).
aws_cli_v2() {
  local candidate
  for candidate in $(type -ap aws) /usr/bin/aws; do
    if "$candidate" --version 2>&1 | grep -q '^aws-cli/2\.'; then printf '%s\n' "$candidate"; return 0; fi
  done
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq awscli) >/dev/null 2>&1 || return 1
  /usr/bin/aws --version 2>&1 | grep -q '^aws-cli/2\.' && echo /usr/bin/aws
}

# aws_standin DIR PORT [ANSWERS.json]: starts the endpoint on 127.0.0.1:PORT (requests logged to
# DIR/aws.log) and writes DIR/bin/aws, which runs the CLI v2 with --endpoint-url pointed at it
# (Debian's CLI, 2.9, predates AWS_ENDPOINT_URL: 2.13). Sets AWS_STANDIN_PID; exports what the
# CLI needs to sign a request and nothing of the machine's own configuration.
aws_standin() {
  local dir=$1 port=$2 answers=${3:-} cli root
  cli=$(aws_cli_v2) || { echo "SKIPPED: no AWS CLI v2 (Debian's awscli) could be installed"; return 1; }
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
  mkdir -p "$dir/bin"
  : > "$dir/aws.log"
  node "$root/deploy/ci/test/aws-endpoint.ts" "$port" "$dir/aws.log" ${answers:+"$answers"} > "$dir/endpoint.out" 2>&1 &
  export AWS_STANDIN_PID=$!
  printf '#!/bin/sh\nexec %s --endpoint-url http://127.0.0.1:%s "$@"\n' "$cli" "$port" > "$dir/bin/aws"
  chmod +x "$dir/bin/aws"
  export PATH="$dir/bin:$PATH" AWS_ACCESS_KEY_ID=AKIDSTANDIN0000000000 AWS_SECRET_ACCESS_KEY=standin AWS_CONFIG_FILE=$dir/aws-config \
    AWS_SHARED_CREDENTIALS_FILE=$dir/aws-credentials AWS_EC2_METADATA_DISABLED=true AWS_PAGER='' AWS_MAX_ATTEMPTS=1
  unset AWS_PROFILE AWS_SESSION_TOKEN
  : > "$dir/aws-config"; : > "$dir/aws-credentials"
  for _ in $(seq 1 50); do grep -q 'stand-in on' "$dir/endpoint.out" && return 0; sleep 0.1; done
  echo "the AWS endpoint stand-in did not start: $(cat "$dir/endpoint.out")" >&2; return 1
}
