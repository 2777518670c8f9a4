#!/bin/sh
# LiveHost container entrypoint.
#
#   entrypoint.sh [ARGS...]               migrate the database, then exec `livehost ARGS...`
#                                         (the image's default ARGS: run --webhook)
#   entrypoint.sh healthcheck [CMDLINE]   exit 0 when healthy: in webhook mode GET /healthz on
#                                         LIVEHOST_PORT must answer 2xx; in polling mode there is
#                                         no HTTP server and a running process is all there is.
#                                         CMDLINE is the main process's argv file
#                                         (default /proc/1/cmdline).
set -eu

if [ "${1:-}" = "healthcheck" ]; then
    exec python3 - "${2:-/proc/1/cmdline}" <<'PY'
import os
import sys
import urllib.request

try:
    with open(sys.argv[1], "rb") as handle:
        argv = handle.read().split(b"\0")
except OSError as exc:
    sys.exit(f"cannot read {sys.argv[1]}: {exc}")
if b"--webhook" not in argv:
    sys.exit(0)
listen = os.environ.get("LIVEHOST_LISTEN", "0.0.0.0")
host = "127.0.0.1" if listen in ("", "0.0.0.0", "::") else listen
if ":" in host:
    host = f"[{host}]"
url = f"http://{host}:{os.environ.get('LIVEHOST_PORT', '8443')}/healthz"
try:
    with urllib.request.urlopen(url, timeout=5) as response:
        print(response.read(500).decode("utf-8", "replace"))
except Exception as exc:  # HTTPError for non-2xx, URLError when nothing listens
    sys.exit(f"{url}: {exc}")
PY
fi

# `entrypoint.sh livehost db upgrade` and `entrypoint.sh db upgrade` mean the same.
if [ "${1:-}" = "livehost" ]; then
    shift
fi

# `db ...` is the migration itself; everything else migrates first.
if [ "${1:-}" != "db" ]; then
    livehost db upgrade
fi
exec livehost "$@"
