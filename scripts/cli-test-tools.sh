#!/usr/bin/env bash
# Tools the CLI tests need besides Node: `script` (util-linux, Debian package bsdutils) gives
# the pseudo-terminal of the TTY test. Idempotent: installs only what is missing.
set -euo pipefail
if ! command -v script >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq bsdutils
fi
script --version
