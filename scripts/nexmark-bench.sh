#!/usr/bin/env bash
# The Nexmark runs of BENCHMARKS.md, "Nexmark (issue 7)":
#   1. throughput: every query at its default --events, p=1 and p=2, three interleaved rounds;
#   2. latency: every query at p=1 with the source limited to $RATE events/s for $SECONDS s,
#      three rounds.
# Each run is preceded by a "# load:" line with the 1, 5 and 15 minute load averages, because
# the machine is shared with other engineers' builds and benchmarks. Runs are under
# `nice -n -15` (needs root or CAP_SYS_NICE). B is the weir-bench binary to run: build it with
# `cargo build --release -p weir-bench` and copy it out of the target directory first, so that a
# concurrent build cannot replace it mid-series.
set -euo pipefail

B="${B:?set B to a copy of the release weir-bench binary}"
QUERIES="${QUERIES:-q0 q1 q2 q3 q4 q5 q7 q8 q11 q12}"
ROUNDS="${ROUNDS:-3}"
RATE="${RATE:-500000}"
SECONDS_PER_RUN="${SECONDS_PER_RUN:-20}"

load() {
    echo "# load: $(cut -d' ' -f1-3 /proc/loadavg)"
}

if [[ "${SKIP_THROUGHPUT:-0}" != 1 ]]; then
    for round in $(seq "$ROUNDS"); do
        for p in 1 2; do
            for q in $QUERIES; do
                load
                nice -n -15 "$B" run "nexmark-$q" -p "$p"
            done
        done
    done
fi

if [[ "${SKIP_LATENCY:-0}" != 1 ]]; then
    for round in $(seq "$ROUNDS"); do
        for q in $QUERIES; do
            load
            nice -n -15 "$B" run "nexmark-$q" -p 1 --rate "$RATE" --events $((RATE * SECONDS_PER_RUN))
        done
    done
fi
