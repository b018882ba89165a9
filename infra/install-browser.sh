#!/usr/bin/env bash
# Debian Chromium for the Playwright tests (no browser download: Playwright drives this binary).
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
exec bash "$(dirname "$0")/apt-install.sh" install-browser chromium
