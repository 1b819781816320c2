#!/usr/bin/env bash
# The soak run (bench/soak.ts): 60 s of mixed reads and writes at 64 connections against the
# built service on loopback, then the data checked. Fails on any error, a non-2xx answer, a
# memory trend or a count that does not add up.
set -euo pipefail
DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379 npm run soak
