#!/usr/bin/env bash
# Installs everything and runs the whole quality gate: format check, both typechecks, lint with
# zero warnings, unit and integration tests (real models from ../shared/models, real dev audio), then the
# Playwright e2e suite (npm run e2e).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
export CALLSCOPE_MODELS_DIR="${CALLSCOPE_MODELS_DIR:-$(cd .. && pwd)/shared/models}"
npm test
# browser e2e (Debian Chromium against the loopback web host) and the renderer benchmark
npm run e2e
