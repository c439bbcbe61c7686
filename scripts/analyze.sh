#!/usr/bin/env bash
# The main job in one command: installs everything, then analyses a call and prints the timeline,
# writing <name>.json/.rttm/.csv reports into ./callscope-out.
#   bash scripts/analyze.sh                 # the bundled synthetic sample call
#   bash scripts/analyze.sh my-call.wav ... # any recordings
# Models: CALLSCOPE_MODELS_DIR, defaulting to ../shared/models beside the repository. Without
# either, the default models missing from the app and the user model folder are installed first
# (`callscope models install --defaults`: downloaded from the manifest's upstream URLs, sha256
# checked; offline, run `npx callscope models install --defaults --from DIR` once beforehand).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
shared_models="$(cd .. && pwd)/shared/models"
if [ -z "${CALLSCOPE_MODELS_DIR:-}" ] && [ -d "$shared_models" ]; then
  export CALLSCOPE_MODELS_DIR="$shared_models"
fi
if [ -z "${CALLSCOPE_MODELS_DIR:-}" ]; then
  # a no-op (one line per model) when every default is already here
  node bin/callscope.js models install --defaults
fi
if [ "$#" -eq 0 ]; then set -- resources/sample-call.ogg; fi
exec node bin/callscope.js analyze --out callscope-out "$@"
