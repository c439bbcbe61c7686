#!/usr/bin/env bash
# Installs everything and runs the whole quality gate: format check, the typechecks, lint with
# zero warnings, unit and integration tests (vitest: real models from ../shared/models, real dev
# audio, PulseAudio capture), then the Playwright e2e suite in Debian Chromium (npm run e2e).
#
# Every stage runs even when an earlier one failed (scripts/run-stages.sh), so a failure never
# hides the e2e suite; a table of each stage's result and duration comes at the end, then the
# closing lines of the vitest run. Exit code: 0 when every stage passed, else non-zero.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
export CALLSCOPE_MODELS_DIR="${CALLSCOPE_MODELS_DIR:-$(cd .. && pwd)/shared/models}"
exec bash scripts/run-stages.sh --closing vitest \
  format 'npm run --silent format:check' \
  typecheck 'npm run --silent typecheck' \
  lint 'npm run --silent lint' \
  vitest 'npx vitest run' \
  e2e 'npm run --silent e2e'
