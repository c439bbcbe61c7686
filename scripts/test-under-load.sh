#!/usr/bin/env bash
# The test command on a busy machine: runs `bash scripts/test.sh` N times in a row (default 5)
# with two CPU burners beside it (`node -e 'for(;;);'` ×2, killed on exit), and prints each run's
# result and duration, then a summary. The tests must not depend on scheduling: every run passes.
#
#   bash scripts/test-under-load.sh        # 5 runs
#   bash scripts/test-under-load.sh 2      # 2 runs
#   BURNERS=4 bash scripts/test-under-load.sh
#
# Each run's full output is kept in a log (path printed). Exit code: 0 when every run passed.
set -uo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
burners=${BURNERS:-2}
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || { echo "usage: test-under-load.sh [RUNS]   (RUNS: a positive integer)" >&2; exit 2; }
log_dir=$(mktemp -d "${TMPDIR:-/tmp}/callscope-load.XXXXXX")
pids=()
stop_burners() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap stop_burners EXIT
trap 'exit 130' INT TERM
for _ in $(seq "$burners"); do
  node -e 'for(;;);' &
  pids+=($!)
done
echo "test-under-load: $runs run(s) of scripts/test.sh beside $burners CPU burner(s) (pids ${pids[*]}); $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
results=()
failed=0
for i in $(seq "$runs"); do
  t0=$SECONDS
  bash scripts/test.sh >"$log_dir/run-$i.log" 2>&1
  rc=$?
  dt=$((SECONDS - t0))
  if [ "$rc" -eq 0 ]; then r=pass; else r="FAIL (exit $rc)"; failed=$((failed + 1)); fi
  line=$(printf 'run %d: %-14s %5d s  load %s  log %s' "$i" "$r" "$dt" "$(cut -d' ' -f1-3 /proc/loadavg)" "$log_dir/run-$i.log")
  results+=("$line")
  echo "$line"
  # a failed run: which stages failed
  [ "$rc" -eq 0 ] || grep -E '^[a-z]+ +FAIL' "$log_dir/run-$i.log" | sed 's/^/    /'
done
echo
echo "=== test-under-load summary: $((runs - failed))/$runs passed"
printf '%s\n' "${results[@]}"
[ "$failed" -eq 0 ]
