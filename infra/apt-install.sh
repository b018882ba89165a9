#!/usr/bin/env bash
# Installs one Debian package with apt-get, for the project's install scripts (install-browser.sh,
# cluster/install-postgres.sh, cluster/install-redis.sh): as root, or through sudo when there is one.
# Usage: infra/apt-install.sh <caller> <package> [--no-service]
#   --no-service: the package must not start its own service (policy-rc.d answers 101 during the
#   install; the project starts its servers itself on free loopback ports), recommends skipped.
set -euo pipefail
CALLER=$1
PACKAGE=$2
NO_SERVICE=${3:-}
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then SUDO="sudo"; else
    echo "$CALLER: $PACKAGE is missing and we are not root: install Debian's '$PACKAGE' package." >&2
    exit 1
  fi
fi
echo "$CALLER: installing Debian $PACKAGE (apt-get)"
$SUDO apt-get update -qq
OPTIONS=()
POLICY=/usr/sbin/policy-rc.d
CREATED=""
if [ "$NO_SERVICE" = "--no-service" ]; then
  OPTIONS+=(--no-install-recommends)
  if [ ! -e "$POLICY" ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$POLICY" >/dev/null && $SUDO chmod +x "$POLICY" && CREATED=1
  fi
fi
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${OPTIONS[@]}" "$PACKAGE" >/dev/null
if [ -n "$CREATED" ]; then $SUDO rm -f "$POLICY"; fi
