#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# ppy demo: give one script cap_net_bind_service and run it as an unprivileged uid.
# Installs ppy into a throwaway prefix under $DEMO_DIR (root-owned, so ppy trusts it).
set -eu
PYTHON=${PYTHON:-/usr/bin/python3}
DEMO_DIR=${DEMO_DIR:-/var/lib/ppy-demo}
OWNER=${OWNER:-4242}      # the service account that owns the script (numeric is fine)
CALLER=${CALLER:-65534}   # who starts it: nobody

[ "$(id -u)" = 0 ] || { echo "demo: run as root (it installs ppy and sets file capabilities)" >&2; exit 1; }
here=$(cd "$(dirname "$0")/.." && pwd)
rm -rf "$DEMO_DIR"
install -d -m 0755 "$DEMO_DIR" "$DEMO_DIR/app"
make -s -C "$here" install PREFIX="$DEMO_DIR/prefix" PYTHON="$PYTHON" >/dev/null

sed "1s|.*|#!$DEMO_DIR/prefix/bin/ppy|" "$here/demo/serve.py" > "$DEMO_DIR/app/serve.py"
chown "$OWNER:$OWNER" "$DEMO_DIR/app/serve.py"
chmod 0755 "$DEMO_DIR/app/serve.py"
setcap cap_net_bind_service=p "$DEMO_DIR/app/serve.py"

echo "# getcap $DEMO_DIR/app/serve.py"
getcap "$DEMO_DIR/app/serve.py"
echo "# $DEMO_DIR/prefix/bin/ppy --check $DEMO_DIR/app/serve.py   (as uid $CALLER)"
setpriv --reuid="$CALLER" --regid="$CALLER" --clear-groups "$DEMO_DIR/prefix/bin/ppy" --check "$DEMO_DIR/app/serve.py"
echo "# $DEMO_DIR/app/serve.py   (as uid $CALLER, through its #! line)"
setpriv --reuid="$CALLER" --regid="$CALLER" --clear-groups "$DEMO_DIR/app/serve.py"
