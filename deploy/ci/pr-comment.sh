#!/usr/bin/env bash
# Puts FILE (cdk diff's output) on pull request PR as its one infrastructure comment: the comment
# an earlier run of the Infrastructure workflow posted (found by its marker) is replaced, so a
# pull request has one diff, the latest. GitHub's REST API through the gh CLI (GH_TOKEN,
# GITHUB_REPOSITORY as GitHub Actions sets them).
#   deploy/ci/pr-comment.sh [--dry-run] PR STAGE FILE
set -euo pipefail
dry_run=''
if [ "${1:-}" = --dry-run ]; then dry_run=1; shift; fi
pr=${1:?usage: pr-comment.sh [--dry-run] PR STAGE FILE} stage=${2:?STAGE} file=${3:?FILE}
[[ $pr =~ ^[0-9]+$ ]] || { echo "pr-comment: not a pull request number: $pr" >&2; exit 1; }
repo=${GITHUB_REPOSITORY:?pr-comment: GITHUB_REPOSITORY is not set}
marker="<!-- cdk-diff $stage -->"
# A comment holds 65,536 characters at most: a longer diff is cut, and says so.
limit=60000
body=$(mktemp); trap 'rm -f "$body"' EXIT
{
  echo "$marker"
  echo "### cdk diff: what merging this changes in \`$stage\`"
  echo
  echo '```'
  head -c "$limit" "$file"
  echo
  echo '```'
  [ "$(wc -c < "$file")" -le "$limit" ] || echo "(cut at $limit characters: the whole diff is in the job's log)"
} > "$body"
run() { printf '+ %s\n' "$*" >&2; [ -n "$dry_run" ] || "$@"; }
existing=''
if [ -z "$dry_run" ]; then
  existing=$(gh api --paginate "repos/$repo/issues/$pr/comments" --jq ".[] | select(.body | startswith(\"$marker\")) | .id" | head -1)
fi
if [ -n "$existing" ]; then
  run gh api --method PATCH "repos/$repo/issues/comments/$existing" -F "body=@$body" --jq .html_url
else
  run gh api --method POST "repos/$repo/issues/$pr/comments" -F "body=@$body" --jq .html_url
fi
