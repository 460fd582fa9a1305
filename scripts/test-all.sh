#!/usr/bin/env bash
# `npm run test:all`: everything — lint, typecheck, build, the fast suite and the slow suites
# that need real tools and services. Run as root on Debian it installs what is missing; it never
# skips a suite: a tool or service that cannot be had fails the run, naming what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=scripts/lib/ensure-tools.sh
source scripts/lib/ensure-tools.sh
ensure_test_prerequisites

echo "== lint"; npm run --silent lint
echo "== typecheck"; npm run --silent typecheck
echo "== build"; npm run --silent build
echo "== tests (fast + slow)"
npx vitest run
