#!/usr/bin/env bash
# The recovery-time runs of BENCHMARKS.md, "Recovery time (issue 7)": the `recovery` workload
# (a keyed-count job in a child process, checkpointing every $INTERVAL, killed with SIGKILL
# half an interval after its third checkpoint since every key was loaded, then restarted from
# its latest checkpoint in a new process) with each of $KEYS keys of heap state, $ROUNDS
# interleaved rounds. Each run prints a RESULT line (restart_to_first_record_ms,
# time_to_caught_up_ms, keys, state_bytes, replayed_records) and a RECOVERY_PHASES line; each is
# preceded by a `# ... load average` line from `uptime`. Runs are under `nice -n -15` (needs root
# or CAP_SYS_NICE). B is the weir-bench binary: build it with `cargo build --release -p
# weir-bench` and copy it out of the target directory first.
set -euo pipefail

B="${B:?set B to a copy of the release weir-bench binary}"
KEYS="${KEYS:-10000 1000000 10000000}"
ROUNDS="${ROUNDS:-3}"
INTERVAL="${INTERVAL:-1s}"
MODE="${MODE:-EXACTLY_ONCE}"

for round in $(seq "$ROUNDS"); do
    for keys in $KEYS; do
        echo "# round $round recovery --keys $keys, interval $INTERVAL, $MODE:$(uptime)"
        nice -n -15 "$B" run recovery --keys "$keys" \
            -D execution.checkpointing.interval="$INTERVAL" -D execution.checkpointing.mode="$MODE" \
            || echo "# FAILED: round $round --keys $keys"
    done
done
