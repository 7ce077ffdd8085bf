#!/usr/bin/env bash
# The whole test suite: formatting, lints, and every test on SQLite and PostgreSQL, plus the
# browser tests in headless Chromium (with axe-core's accessibility checks), then the API
# contract (schemathesis against the served OpenAPI document). Installs and starts what it needs
# on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."

export KEIRETSU_TEST_DATABASE_URL="${KEIRETSU_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# PostgreSQL: start the local cluster if it is not answering.
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  echo "== starting PostgreSQL"
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  else
    as_root service postgresql start || true
  fi
  for _ in $(seq 1 60); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.5; done
fi
pg_isready -h 127.0.0.1 -p 5432

# Chromium for the browser tests, from Debian's packages, with CJK fonts for the Chinese pages.
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null || ! fc-list :lang=zh 2>/dev/null | grep -q .; then
  echo "== installing chromium, chromium-driver and fonts-noto-cjk"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq chromium chromium-driver fonts-noto-cjk >/dev/null
fi

# axe-core for the browser tests' accessibility checks: from npm into target/axe, never committed.
# The version is the harness's AXE_VERSION (crates/e2e/src/lib.rs).
AXE_VERSION="$(sed -n 's/^pub const AXE_VERSION: &str = "\(.*\)";/\1/p' crates/e2e/src/lib.rs)"
if ! head -c 100 target/axe/node_modules/axe-core/axe.min.js 2>/dev/null | grep -qxF "/*! axe v$AXE_VERSION"; then
  if ! command -v npm >/dev/null; then
    echo "== installing nodejs and npm"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq nodejs npm >/dev/null
  fi
  echo "== installing axe-core $AXE_VERSION (npm)"
  npm install --no-save --no-package-lock --no-audit --no-fund --prefix target/axe "axe-core@$AXE_VERSION"
fi

echo "== cargo fmt"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings
echo "== cargo test (SQLite and PostgreSQL, browser)"
cargo test --workspace
echo "== API contract (schemathesis)"
scripts/contract.sh
