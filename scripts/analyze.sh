#!/usr/bin/env bash
# The main job in one command: installs everything, then analyses a call and prints the timeline,
# writing <name>.json/.rttm/.csv reports into ./callscope-out.
#   bash scripts/analyze.sh                 # the bundled synthetic sample call
#   bash scripts/analyze.sh my-call.wav ... # any recordings
# Models: CALLSCOPE_MODELS_DIR, defaulting to ../shared/models beside the repository.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
export CALLSCOPE_MODELS_DIR="${CALLSCOPE_MODELS_DIR:-$(cd .. && pwd)/shared/models}"
if [ "$#" -eq 0 ]; then set -- resources/sample-call.ogg; fi
exec node bin/callscope.js analyze --out callscope-out "$@"
