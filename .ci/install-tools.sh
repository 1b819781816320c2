#!/usr/bin/env bash
# The machine tools the tests and checks use beside Node.js, from Debian's or Ubuntu's packages,
# installed when missing: nginx and envsubst (the nginx checks), redis-server, PostgreSQL's
# initdb/pg_ctl and openssl (the fault tests' own servers), shellcheck (the workflow lint).
# Used by .github/workflows/ci.yml; .ci/run installs the same as it needs them. Run as root.
set -euo pipefail
missing=()
command -v nginx >/dev/null || missing+=(nginx-light)
command -v envsubst >/dev/null || missing+=(gettext-base)
command -v redis-server >/dev/null || missing+=(redis-server)
command -v openssl >/dev/null || missing+=(openssl)
command -v shellcheck >/dev/null || missing+=(shellcheck)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "tools: nginx $(nginx -v 2>&1 | sed 's/.*\///'), $(redis-server --version | cut -d' ' -f3), $(find /usr/lib/postgresql -name initdb | head -1), $(shellcheck --version | sed -n 2p)"
