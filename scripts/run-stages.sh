#!/usr/bin/env bash
# Runs named stages one after the other, each to the end even when an earlier one failed, then
# prints a table of every stage's result and duration. Used by scripts/test.sh.
#
#   bash scripts/run-stages.sh [--closing NAME] NAME 'COMMAND' [NAME 'COMMAND' ...]
#
# Each COMMAND runs with `bash -c`, its output shown as it comes and kept in a log. With
# --closing NAME, the test runner's summary lines of that stage (vitest's "Test Files", "Tests",
# "Start at", "Duration") are printed again as the very last lines, where CI reads them.
# Exit code: 0 when every stage passed, 1 when any failed, 2 on a usage error.
set -uo pipefail
closing=""
if [ "${1:-}" = "--closing" ]; then
  closing=${2:?usage: run-stages.sh [--closing NAME] NAME COMMAND ...}
  shift 2
fi
if [ "$#" -eq 0 ] || [ $(($# % 2)) -ne 0 ]; then
  echo "usage: run-stages.sh [--closing NAME] NAME 'COMMAND' [NAME 'COMMAND' ...]" >&2
  exit 2
fi
log_dir=$(mktemp -d "${TMPDIR:-/tmp}/callscope-stages.XXXXXX")
names=()
results=()
times=()
while [ "$#" -gt 0 ]; do
  name=$1 cmd=$2
  shift 2
  echo "=== stage $name: $cmd"
  t0=$SECONDS
  bash -c "$cmd" 2>&1 | tee "$log_dir/$name.log"
  rc=${PIPESTATUS[0]}
  names+=("$name")
  times+=($((SECONDS - t0)))
  if [ "$rc" -eq 0 ]; then results+=("pass"); else results+=("FAIL (exit $rc)"); fi
done

failed=0
echo
echo "=== stage summary (logs: $log_dir)"
printf '%-12s %-16s %8s\n' stage result seconds
for i in "${!names[@]}"; do
  printf '%-12s %-16s %8s\n' "${names[$i]}" "${results[$i]}" "${times[$i]}"
  [ "${results[$i]}" = pass ] || failed=1
done
if [ "$failed" -ne 0 ]; then echo "FAILED: at least one stage failed (table above)"; else echo "all stages passed"; fi
if [ -n "$closing" ] && [ -f "$log_dir/$closing.log" ]; then
  echo
  sed 's/\x1b\[[0-9;]*m//g' "$log_dir/$closing.log" | grep -E '^ *(Test Files|Tests|Start at|Duration) ' | tail -4
fi
exit "$failed"
