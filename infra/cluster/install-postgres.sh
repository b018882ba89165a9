#!/usr/bin/env bash
# Debian PostgreSQL for the cluster profile's Dagster storage (tests and local runs start it on
# 127.0.0.1 in a temporary directory: infra/cluster/postgres.py). Nothing downloaded but the package.
set -euo pipefail
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then exit 0; fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then SUDO="sudo"; else
    echo "install-postgres: PostgreSQL is missing and we are not root: install Debian's 'postgresql' package." >&2
    exit 1
  fi
fi
echo "install-postgres: installing Debian postgresql (apt-get)"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
