#!/usr/bin/env bash
# The checkpoint-cost matrix of BENCHMARKS.md, "Checkpoint cost matrix (issue 7)": every workload
# with checkpoints off, every 10 s and every 1 s, exactly-once (EO) and at-least-once (ALO), at
# parallelism $P (default 1), $ROUNDS rounds (default 3). Within a round the configurations of a
# workload run back to back, in an order rotated by one each round, so a slow spell of the shared
# machine does not always fall on the same configuration. Then `weir-bench summarize` prints the
# table (median events/s per cell, its ratio to off, CPU ratio, checkpoint duration, size,
# alignment) and one `CELL ...` line per cell.
#
#   scripts/checkpoint-cost.sh            the full matrix: off, 10s EO, 10s ALO, 1s EO, 1s ALO; runs
#                                         of ~40 s at p=1 (4x the event counts below), so a 10 s
#                                         interval takes 3-4 checkpoints plus the final one.
#                                         About 3 h on the 2-core machine.
#   scripts/checkpoint-cost.sh --quick    off, 1s EO, 1s ALO with runs of ~10 s (~10 checkpoints
#                                         each): about 30-60 min, depending on the load.
#
# Environment: B the weir-bench binary (required: build with `cargo build --release -p
# weir-bench` and copy it out of the target directory, so a concurrent build cannot replace it
# mid-series); ROUNDS; P; WORKLOADS (names from the table below, space-separated); CONFIGS (from
# off eo10 alo10 eo1 alo1); SCALE (multiplies every event count; 4 full, 1 quick); LOG (where
# the raw output goes, default /tmp/checkpoint-cost-<date>.log); CKDIR (checkpoint directory,
# default under /tmp, emptied after every run). Every run is under `nice -n -15` (needs root or
# CAP_SYS_NICE) and is preceded by a `# ... load average` line from `uptime`.
set -euo pipefail

B="${B:?set B to a copy of the release weir-bench binary}"
QUICK=0
for arg in "$@"; do
    case "$arg" in
        --quick) QUICK=1 ;;
        -h | --help) sed -n '2,25p' "$0"; exit 0 ;;
        *) echo "error: unknown argument '$arg' (only --quick)" >&2; exit 2 ;;
    esac
done
if [[ "$QUICK" == 1 ]]; then
    CONFIGS="${CONFIGS:-off eo1 alo1}"
    SCALE="${SCALE:-1}"
else
    CONFIGS="${CONFIGS:-off eo10 alo10 eo1 alo1}"
    SCALE="${SCALE:-4}"
fi
ROUNDS="${ROUNDS:-3}"
P="${P:-1}"
LOG="${LOG:-/tmp/checkpoint-cost-$(date +%Y%m%d-%H%M%S).log}"
CKDIR="${CKDIR:-/tmp/weir-checkpoint-cost-$$}"

# name | weir-bench arguments | events for ~10 s at p=1 on the quiet 2-core machine (rates of
# BENCHMARKS.md's earlier sections); the full matrix runs SCALE=4 times as many.
MATRIX="
stateless|stateless|3000000000
keyed-count|keyed-count|200000000
keyed-count-1m|keyed-count --keys 1000000|25000000
rebalance|rebalance|2000000000
slow-sink|slow-sink|50000000
tumbling|tumbling|120000000
sliding|sliding|80000000
session|session|40000000
nexmark-q0|nexmark-q0|40000000
nexmark-q1|nexmark-q1|40000000
nexmark-q2|nexmark-q2|40000000
nexmark-q3|nexmark-q3|40000000
nexmark-q4|nexmark-q4|25000000
nexmark-q5|nexmark-q5|20000000
nexmark-q7|nexmark-q7|25000000
nexmark-q8|nexmark-q8|40000000
nexmark-q11|nexmark-q11|30000000
nexmark-q12|nexmark-q12|35000000
"
ALL_WORKLOADS="$(echo "$MATRIX" | awk -F'|' 'NF == 3 { printf "%s ", $1 }')"
WORKLOADS="${WORKLOADS:-$ALL_WORKLOADS}"

config_args() {
    case "$1" in
        off) ;;
        eo10) echo "-D execution.checkpointing.interval=10s -D execution.checkpointing.mode=EXACTLY_ONCE" ;;
        alo10) echo "-D execution.checkpointing.interval=10s -D execution.checkpointing.mode=AT_LEAST_ONCE" ;;
        eo1) echo "-D execution.checkpointing.interval=1s -D execution.checkpointing.mode=EXACTLY_ONCE" ;;
        alo1) echo "-D execution.checkpointing.interval=1s -D execution.checkpointing.mode=AT_LEAST_ONCE" ;;
        *) echo "error: unknown configuration '$1' (off eo10 alo10 eo1 alo1)" >&2; exit 2 ;;
    esac
}

# The configurations in round $1's order: rotated left by (round - 1).
rotated() {
    local round="$1" configs=($CONFIGS) n i
    n=${#configs[@]}
    for ((i = 0; i < n; i++)); do
        printf '%s ' "${configs[$(((i + round - 1) % n))]}"
    done
}

for c in $CONFIGS; do config_args "$c" >/dev/null; done
for w in $WORKLOADS; do
    echo "$MATRIX" | grep -q "^$w|" || { echo "error: unknown workload '$w' ($ALL_WORKLOADS)" >&2; exit 2; }
done

{
    echo "# checkpoint-cost.sh $*: B=$B ROUNDS=$ROUNDS P=$P SCALE=$SCALE CONFIGS='$CONFIGS'"
    echo "# WORKLOADS='$WORKLOADS'"
    for round in $(seq "$ROUNDS"); do
        for w in $WORKLOADS; do
            line="$(echo "$MATRIX" | grep "^$w|")"
            args="$(echo "$line" | cut -d'|' -f2)"
            events=$(($(echo "$line" | cut -d'|' -f3) * SCALE))
            for c in $(rotated "$round"); do
                ck="$(config_args "$c")"
                if [[ -n "$ck" ]]; then
                    rm -rf "$CKDIR"
                    ck="$ck -D state.checkpoints.dir=$CKDIR"
                fi
                echo "# round $round $w $c:$(uptime)"
                # shellcheck disable=SC2086 # the arguments are meant to split
                nice -n -15 "$B" run $args -p "$P" --events "$events" $ck || echo "# FAILED: round $round $w $c"
                rm -rf "$CKDIR"
            done
        done
    done
} 2>&1 | tee "$LOG"

echo
echo "# summary of $LOG"
"$B" summarize "$LOG"
