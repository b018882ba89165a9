#!/usr/bin/env bash
# Debian PostgreSQL for the cluster profile's Dagster storage (tests and local runs start it on
# 127.0.0.1 in a temporary directory: infra/cluster/postgres.py). Nothing downloaded but the package.
set -euo pipefail
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then exit 0; fi
exec bash "$(dirname "$0")/../apt-install.sh" install-postgres postgresql
