#!/usr/bin/env bash
# Debian redis-server, the Celery broker of the cluster profile's executor (tests and local runs
# start it on 127.0.0.1 on a free port in a temporary directory: infra/cluster/redis.py). Nothing
# downloaded but the package; the package's own service is never started (--no-service).
set -euo pipefail
if command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ]; then exit 0; fi
exec bash "$(dirname "$0")/../apt-install.sh" install-redis redis-server --no-service
