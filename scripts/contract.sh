#!/usr/bin/env bash
# The API contract, tried from outside as a strict client would: schemathesis (pinned, from PyPI,
# in a virtual environment under target/) generates requests from the served OpenAPI document,
# every check and phase, stateful included, as the demo backbone's admin and as a supplier's admin,
# and fails on any failure. Operations whose acceptance depends on stored data the document cannot
# state are listed, with the reason, in scripts/schemathesis.toml.
#
# Extra arguments go to schemathesis (e.g. --include-path-regex journal). scripts/test.sh runs it.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v curl >/dev/null; then
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq curl >/dev/null
fi

VERSION=4.32.5
VENV=target/schemathesis-venv
EXAMPLES="${KEIRETSU_CONTRACT_EXAMPLES:-25}"
if ! "$VENV/bin/schemathesis" --version 2>/dev/null | grep -q "$VERSION"; then
  rm -rf "$VENV"
  # Debian keeps venv (ensurepip) in a package of its own.
  if ! python3 -m venv "$VENV" >/dev/null 2>&1; then
    echo "== installing python3-venv"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq python3 python3-venv >/dev/null
    rm -rf "$VENV"
    python3 -m venv "$VENV"
  fi
  "$VENV/bin/pip" install -q --disable-pip-version-check "schemathesis==$VERSION"
fi

cargo build -q -p keiretsu
DATA=$(mktemp -d)
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
target/debug/keiretsu demo --listen "127.0.0.1:$PORT" --data-dir "$DATA" >"$DATA/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true; rm -rf "$DATA"' EXIT
for _ in $(seq 1 240); do
  curl -sf "$BASE/readyz" >/dev/null && break
  sleep 0.5
done
curl -sf "$BASE/readyz" >/dev/null || { cat "$DATA/server.log"; exit 1; }

token() {
  curl -sf -X POST "$BASE/api/v1/tokens" -H 'content-type: application/json' \
    -d "{\"login\": \"$1\", \"password\": \"keiretsu-demo\", \"name\": \"contract\"}" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["secret"])'
}

status=0
for login in demo.admin kato.admin; do
  echo "== schemathesis as $login"
  # Every check is on by default (the config turns a few off where stored data decides); the
  # command line's --checks would override the config, so it is not given.
  PYTHONPATH=scripts SCHEMATHESIS_HOOKS=schemathesis_hooks \
    "$VENV/bin/schemathesis" --config-file scripts/schemathesis.toml run "$BASE/api/openapi.json" \
    -H "Authorization: Bearer $(token "$login")" --max-examples "$EXAMPLES" \
    --seed 20261203 --generation-deterministic --no-color --workers 2 "$@" || status=1
done
exit $status
