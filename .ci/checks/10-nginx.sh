#!/usr/bin/env bash
# The project's nginx.conf, rendered as the image renders it, run with Debian's nginx binary in
# front of the real service on loopback: test/nginx/nginx.test.ts (.ci/run installed nginx).
set -euo pipefail
export TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres TEST_REDIS_URL=redis://127.0.0.1:6379
npx tap --disable-coverage test/nginx/nginx.test.ts
