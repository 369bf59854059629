#!/usr/bin/env bash
# The interoperability tests run Debian's kcat, the command-line client agency developers try
# first (tests/integration/test_kcat.py; docs/adapters.md, "Clients known to work").
set -euo pipefail
if command -v kcat >/dev/null; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
    echo "kcat is missing: install it with 'sudo apt-get install -y kcat' and run again" >&2
    exit 1
fi
echo "installing Debian's kcat for the interoperability tests ..." >&2
apt-get update -q >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends kcat >/dev/null
