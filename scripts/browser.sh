#!/usr/bin/env bash
# The browser the dashboard tests drive: Debian's chromium, through playwright-core (which never
# downloads a browser). Idempotent and quick when it is already installed; retries while another
# apt run holds the dpkg lock.
set -euo pipefail
BROWSER_BIN=/usr/bin/chromium
if [ -x "$BROWSER_BIN" ]; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
for attempt in 1 2 3 4 5 6 7 8 9 10; do
  if $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium; then break; fi
  echo "apt-get failed (attempt $attempt; the dpkg lock may be held by another install); retrying in 10 s" >&2
  sleep 10
done
"$BROWSER_BIN" --version
