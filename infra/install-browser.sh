#!/usr/bin/env bash
# Debian Chromium for the Playwright tests (no browser download: Playwright drives this binary).
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then SUDO="sudo"; else
    echo "install-browser: /usr/bin/chromium is missing and we are not root: install Debian's 'chromium' package." >&2
    exit 1
  fi
fi
echo "install-browser: installing Debian chromium (apt-get)"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
