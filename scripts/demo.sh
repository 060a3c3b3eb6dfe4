#!/bin/sh
# The end-to-end demo: install what is needed, build stamp, start a local
# SMTPS+AUTH test server and a throwaway Secret Service holding the
# password, send a message through stamp, and show what the server got.
set -eu
cd "$(dirname "$0")/.."
sh scripts/install-deps.sh
make
exec /usr/bin/python3 scripts/demo.py "$(pwd)/build/stamp"
