#!/usr/bin/env bash
# Debian redis-server, the Celery broker of the cluster profile's executor (tests and local runs
# start it on 127.0.0.1 on a free port in a temporary directory: infra/cluster/redis.py).
# Nothing downloaded but the package; the Debian service is not used (nothing listens by default
# once we stop it).
set -euo pipefail
if command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ]; then exit 0; fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then SUDO="sudo"; else
    echo "install-redis: redis-server is missing and we are not root: install Debian's 'redis-server' package." >&2
    exit 1
  fi
fi
echo "install-redis: installing Debian redis-server (apt-get)"
$SUDO apt-get update -qq
# policy-rc.d 101: the package must not start its own service on port 6379 (we start ours on a free port).
POLICY=/usr/sbin/policy-rc.d
CREATED=""
if [ ! -e "$POLICY" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$POLICY" >/dev/null && $SUDO chmod +x "$POLICY" && CREATED=1
fi
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends redis-server >/dev/null
if [ -n "$CREATED" ]; then $SUDO rm -f "$POLICY"; fi
