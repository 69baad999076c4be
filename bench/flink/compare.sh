#!/usr/bin/env bash
# Apache Flink side by side (BENCHMARKS.md, "Apache Flink side by side (issue 7)"):
#   1. installs Apache Flink from PyPI (apache-flink==$FLINK_VERSION, which ships the Flink
#      distribution: bin/, lib/, conf/) and matplotlib into a venv under
#      ${XDG_CACHE_HOME:-$HOME/.cache}/weir/flink, once per machine;
#   2. builds weir-bench (release) and copies the binary out of the target directory;
#   3. starts a standalone Flink cluster (one JobManager, one TaskManager with P slots), every
#      port bound to 127.0.0.1, and stops it on exit, failure or Ctrl-C;
#   4. runs each workload on both engines, alternating which goes first, $RUNS times, after an
#      uncounted warm-up run of each (the JVM's JIT, weir's page cache):
#        stateless  datagen -> filter (15/16) -> map -> blackhole
#        tumbling   datagen (10,000 keys, <= 1 s out of order) -> 1 s tumbling event-time
#                   windows, count+sum per key -> blackhole
#      Flink: the Flink SQL twins in flink_job.py; weir: `weir-bench run <workload>`;
#   5. prints a table of the medians and one COMPARE line per workload (compare.py) and draws
#      the chart (bench/flink/compare.png; with --quick, in the run directory).
#
# Usage: bench/flink/compare.sh [--quick]
#   --quick  fewer events, one run per engine, no warm-up: checks the set-up, not for quoting.
# Environment (defaults in brackets):
#   STATELESS_EVENTS [200000000; quick 20000000]   TUMBLING_EVENTS [30000000; quick 5000000]
#   RUNS [3; quick 1]  PARALLELISM [1]  KEYS [10000]  CHART [bench/flink/compare.png]
#   WEIR_BENCH [build it]  CARGO_TARGET_DIR [${XDG_CACHE_HOME:-$HOME/.cache}/weir/target]
#   FLINK_REST_PORT [18081]  FLINK_RPC_PORT [16123]  FLINK_BLOB_PORT [16124]
#   NICE [-15: engines run under `nice -n $NICE`; empty: not niced]
#   FLINK_JOB_CONF [none: Flink's defaults]  Flink options for every job, space-separated
#     KEY=VALUE, e.g. FLINK_JOB_CONF='pipeline.object-reuse=true'
# Needs: Java 11+ (17 tested), python3 (3.11 tested) with venv, cargo, curl; ~1 GB
# of disk for the venv. The machine is noisy: every run line is preceded by the load averages.
set -euo pipefail

FLINK_VERSION=2.3.0
MATPLOTLIB_VERSION=3.11.2

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/weir/flink"
VENV="$CACHE/venv-apache-flink-$FLINK_VERSION"

die() {
    echo "error: compare.sh: $*" >&2
    exit 1
}

QUICK=0
while (($#)); do
    case "$1" in
        --quick) QUICK=1 ;;
        -h | --help)
            sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
            exit 0
            ;;
        *) die "unknown argument '$1' (usage: bench/flink/compare.sh [--quick])" ;;
    esac
    shift
done

if ((QUICK)); then
    STATELESS_EVENTS="${STATELESS_EVENTS:-20000000}"
    TUMBLING_EVENTS="${TUMBLING_EVENTS:-5000000}"
    RUNS="${RUNS:-1}"
    WARMUP=0
else
    STATELESS_EVENTS="${STATELESS_EVENTS:-200000000}"
    TUMBLING_EVENTS="${TUMBLING_EVENTS:-30000000}"
    RUNS="${RUNS:-3}"
    WARMUP=1
fi
PARALLELISM="${PARALLELISM:-1}"
KEYS="${KEYS:-10000}"
FLINK_REST_PORT="${FLINK_REST_PORT:-18081}"
FLINK_RPC_PORT="${FLINK_RPC_PORT:-16123}"
FLINK_BLOB_PORT="${FLINK_BLOB_PORT:-16124}"
NICE="${NICE--15}"
REST="127.0.0.1:$FLINK_REST_PORT"
FLINK_JOB_CONF="${FLINK_JOB_CONF:-}"
JOB_CONF_ARGS=()
read -r -a JOB_CONF_WORDS <<<"$FLINK_JOB_CONF"
for kv in "${JOB_CONF_WORDS[@]}"; do
    [[ "$kv" == ?*=* ]] || die "FLINK_JOB_CONF: '$kv' is not KEY=VALUE"
    JOB_CONF_ARGS+=(--conf "$kv")
done

for n in STATELESS_EVENTS TUMBLING_EVENTS RUNS PARALLELISM KEYS FLINK_REST_PORT FLINK_RPC_PORT FLINK_BLOB_PORT; do
    [[ "${!n}" =~ ^[1-9][0-9]*$ ]] || die "$n must be a positive whole number, not '${!n}'"
done
for n in STATELESS_EVENTS TUMBLING_EVENTS; do
    ((${!n} < 2147483648)) || die "$n=${!n}: Flink's datagen counts rows in an int, so at most 2147483647"
done

# --- what the machine must have --------------------------------------------------------------
command -v java >/dev/null 2>&1 ||
    die "java not found: Flink $FLINK_VERSION needs Java 11, 17 or 21 (Debian: apt-get install openjdk-17-jre-headless)"
JAVA_VERSION_LINE=$(java -version 2>&1 | head -n 1)
JAVA_MAJOR=$(sed -E 's/.*version "(1\.)?([0-9]+).*/\2/' <<<"$JAVA_VERSION_LINE")
[[ "$JAVA_MAJOR" =~ ^[0-9]+$ ]] && ((JAVA_MAJOR >= 11)) ||
    die "Flink $FLINK_VERSION needs Java 11 or newer, but java is: $JAVA_VERSION_LINE"
command -v python3 >/dev/null 2>&1 || die "python3 not found: it installs Flink (PyPI apache-flink) and runs the jobs"
python3 -c 'import venv' 2>/dev/null || die "python3 has no venv module (Debian: apt-get install python3-venv)"
command -v curl >/dev/null 2>&1 || die "curl not found: it waits for Flink's REST API (apt-get install curl)"
NICE_CMD=()
if [[ -n "$NICE" ]]; then
    if nice -n "$NICE" true 2>/dev/null; then
        NICE_CMD=(nice -n "$NICE")
    else
        echo "# warning: 'nice -n $NICE' is not allowed here; running without it" >&2
    fi
fi

# --- Flink from PyPI, once per machine -------------------------------------------------------
mkdir -p "$CACHE"
if [[ ! -f "$VENV/.installed" ]]; then
    echo "# installing apache-flink==$FLINK_VERSION and matplotlib==$MATPLOTLIB_VERSION into $VENV (once; ~1 GB)" >&2
    rm -rf "$VENV"
    python3 -m venv "$VENV" || die "python3 -m venv $VENV failed"
    if ! "$VENV/bin/pip" install --disable-pip-version-check -q \
        "apache-flink==$FLINK_VERSION" "matplotlib==$MATPLOTLIB_VERSION" >"$CACHE/pip-install.log" 2>&1; then
        tail -n 20 "$CACHE/pip-install.log" >&2
        die "pip install apache-flink==$FLINK_VERSION matplotlib==$MATPLOTLIB_VERSION failed (log: $CACHE/pip-install.log)"
    fi
    touch "$VENV/.installed"
fi
PY="$VENV/bin/python"
FLINK_HOME=$("$PY" -c 'import os, pyflink; print(os.path.dirname(os.path.abspath(pyflink.__file__)))') ||
    die "the venv $VENV has no pyflink: delete it and run again"
[[ -x "$FLINK_HOME/bin/jobmanager.sh" || -f "$FLINK_HOME/bin/jobmanager.sh" ]] ||
    die "no Flink distribution in $FLINK_HOME (bin/jobmanager.sh is missing)"

# --- weir-bench ------------------------------------------------------------------------------
RUN_DIR="$CACHE/runs/$(date -u +%Y%m%dT%H%M%SZ)-$$"
mkdir -p "$RUN_DIR"/{conf,log,pid}
RESULTS="$RUN_DIR/results.txt"
: >"$RESULTS"
if [[ -n "${WEIR_BENCH:-}" ]]; then
    [[ -x "$WEIR_BENCH" ]] || die "WEIR_BENCH=$WEIR_BENCH is not an executable"
else
    command -v cargo >/dev/null 2>&1 || die "cargo not found: it builds weir-bench (or set WEIR_BENCH to a built binary)"
    # The same target dir and RocksDB archive as scripts/test.sh (RocksDB's C++ compiled once).
    (cd "$ROOT" && . ./scripts/target-dir.sh && . ./scripts/rocksdb-lib.sh \
        && echo "# building weir-bench (cargo build --release -p weir-bench, target dir $CARGO_TARGET_DIR)" >&2 \
        && cargo build --release -q -p weir-bench) || die "cargo build --release -p weir-bench failed"
    export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/weir/target}"
    WEIR_BENCH="$CARGO_TARGET_DIR/release/weir-bench"
fi
# A copy, so that a concurrent build cannot replace the binary mid-series.
cp "$WEIR_BENCH" "$RUN_DIR/weir-bench"
BENCH="$RUN_DIR/weir-bench"

# --- the Flink cluster -----------------------------------------------------------------------
for port in "$FLINK_REST_PORT" "$FLINK_RPC_PORT" "$FLINK_BLOB_PORT"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        die "port $port on 127.0.0.1 is taken (a Flink or weir still running?); free it or set FLINK_REST_PORT/FLINK_RPC_PORT/FLINK_BLOB_PORT"
    fi
done
JAVA_OPTS_ALL=$(sed -n 's/^ *all: *//p' "$FLINK_HOME/conf/config.yaml" | head -n 1)
[[ "$JAVA_OPTS_ALL" == *--add-opens* ]] ||
    die "cannot read env.java.opts.all (the JVM flags Flink needs on Java 17) from $FLINK_HOME/conf/config.yaml"
cp "$FLINK_HOME"/conf/log4j*.properties "$FLINK_HOME"/conf/logback*.xml "$RUN_DIR/conf/"
# Flink's shipped configuration (memory sizes, one JobManager, one TaskManager) with every
# address on 127.0.0.1, our own ports and logs, and one slot per subtask.
cat >"$RUN_DIR/conf/config.yaml" <<EOF
env.java.opts.all: $JAVA_OPTS_ALL
jobmanager.bind-host: 127.0.0.1
jobmanager.rpc.address: 127.0.0.1
jobmanager.rpc.port: $FLINK_RPC_PORT
jobmanager.memory.process.size: 1600m
jobmanager.execution.failover-strategy: region
taskmanager.bind-host: 127.0.0.1
taskmanager.host: 127.0.0.1
taskmanager.numberOfTaskSlots: $PARALLELISM
taskmanager.memory.process.size: 1728m
parallelism.default: $PARALLELISM
rest.address: 127.0.0.1
rest.bind-address: 127.0.0.1
rest.port: $FLINK_REST_PORT
blob.server.port: "$FLINK_BLOB_PORT"
EOF
export FLINK_CONF_DIR="$RUN_DIR/conf" FLINK_LOG_DIR="$RUN_DIR/log" FLINK_PID_DIR="$RUN_DIR/pid"

CLUSTER_PIDS=()
stop_cluster() {
    local status=$?
    trap - EXIT INT TERM
    if ((${#CLUSTER_PIDS[@]})) || compgen -G "$FLINK_PID_DIR/*.pid" >/dev/null; then
        echo "# stopping the Flink cluster" >&2
        bash "$FLINK_HOME/bin/taskmanager.sh" stop >>"$RUN_DIR/cluster.log" 2>&1 || true
        bash "$FLINK_HOME/bin/jobmanager.sh" stop >>"$RUN_DIR/cluster.log" 2>&1 || true
        local pid
        for pid in "${CLUSTER_PIDS[@]}"; do
            for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
            if kill -0 "$pid" 2>/dev/null; then
                echo "# Flink process $pid did not stop: killing it" >&2
                kill -9 "$pid" 2>/dev/null || true
            fi
        done
    fi
    exit "$status"
}
trap stop_cluster EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

pid_of() { # the pid Flink's daemon script wrote for $1 (standalonesession, taskexecutor)
    local file
    file=$(compgen -G "$FLINK_PID_DIR/*-$1.pid" | head -n 1) || true
    [[ -n "$file" ]] && head -n 1 "$file"
}

echo "# starting Flink $FLINK_VERSION from $FLINK_HOME (logs: $FLINK_LOG_DIR)" >&2
"${NICE_CMD[@]}" bash "$FLINK_HOME/bin/jobmanager.sh" start >>"$RUN_DIR/cluster.log" 2>&1 ||
    die "bin/jobmanager.sh start failed (see $RUN_DIR/cluster.log)"
JM_PID=$(pid_of standalonesession) || die "the JobManager wrote no pid file to $FLINK_PID_DIR (see $FLINK_LOG_DIR)"
CLUSTER_PIDS+=("$JM_PID")
"${NICE_CMD[@]}" bash "$FLINK_HOME/bin/taskmanager.sh" start >>"$RUN_DIR/cluster.log" 2>&1 ||
    die "bin/taskmanager.sh start failed (see $RUN_DIR/cluster.log)"
TM_PID=$(pid_of taskexecutor) || die "the TaskManager wrote no pid file to $FLINK_PID_DIR (see $FLINK_LOG_DIR)"
CLUSTER_PIDS+=("$TM_PID")

ready=0
for _ in $(seq 240); do
    for pid in "$JM_PID" "$TM_PID"; do
        kill -0 "$pid" 2>/dev/null || {
            tail -n 30 "$FLINK_LOG_DIR"/*.log "$FLINK_LOG_DIR"/*.out >&2 2>/dev/null || true
            die "Flink process $pid exited during start-up (logs above, all in $FLINK_LOG_DIR)"
        }
    done
    overview=$(curl -sf "http://$REST/overview" || true)
    slots=$(sed -nE 's/.*"slots-available":([0-9]+).*/\1/p' <<<"$overview")
    if [[ -n "$slots" ]] && ((slots >= PARALLELISM)); then
        ready=1
        break
    fi
    sleep 0.5
done
((ready)) || die "Flink's REST API at http://$REST did not show $PARALLELISM free slot(s) within 120 s (logs: $FLINK_LOG_DIR)"
FLINK_REPORTED=$(sed -nE 's/.*"flink-version":"([^"]*)","flink-commit":"([^"]*)".*/\1 (commit \2)/p' <<<"$overview")

# --- the runs --------------------------------------------------------------------------------
load() { cut -d' ' -f1-3 /proc/loadavg; }

events_of() { # the --events of workload $1
    case "$1" in
        stateless) echo "$STATELESS_EVENTS" ;;
        tumbling) echo "$TUMBLING_EVENTS" ;;
    esac
}

run_flink() { # workload events prefix
    local line
    if ! line=$("$PY" "$HERE/flink_job.py" "$1" --events "$2" --keys "$KEYS" --parallelism "$PARALLELISM" \
        --rest "$REST" --jm-pid "$JM_PID" --tm-pid "$TM_PID" "${JOB_CONF_ARGS[@]}" 2>>"$RUN_DIR/flink-client.log"); then
        tail -n 15 "$RUN_DIR/flink-client.log" >&2
        die "the Flink $1 job failed (client log: $RUN_DIR/flink-client.log; cluster logs: $FLINK_LOG_DIR)"
    fi
    echo "$3$line"
}

run_weir() { # workload events prefix
    local line args=(run "$1" --events "$2" -p "$PARALLELISM")
    [[ "$1" == stateless ]] || args+=(--keys "$KEYS")
    line=$("${NICE_CMD[@]}" "$BENCH" "${args[@]}") || die "weir-bench ${args[*]} failed"
    echo "$3$line"
}

COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ "$COMMIT" != unknown ]] && [[ -n "$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null)" ]]; then
    COMMIT="$COMMIT+dirty"
fi
echo "# Apache Flink side by side, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "# machine: $(nproc) cores, $(sed -n 's/^model name\t*: //p' /proc/cpuinfo | head -n 1), $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo), Linux $(uname -r)"
echo "# weir: commit $COMMIT, weir-bench release build; Flink: $FLINK_REPORTED from PyPI apache-flink==$FLINK_VERSION; $JAVA_VERSION_LINE; $("$PY" --version)"
echo "# Flink job options: session time zone UTC${FLINK_JOB_CONF:+, $FLINK_JOB_CONF}, Flink's defaults otherwise"
echo "# events: stateless $STATELESS_EVENTS, tumbling $TUMBLING_EVENTS; keys $KEYS; parallelism $PARALLELISM; runs per engine $RUNS; nice ${NICE:-none}"
if ((QUICK)); then
    echo "# QUICK MODE: fewer events, 1 run per engine and no warm-up: a check of the set-up, not numbers to quote"
fi
echo "# run directory: $RUN_DIR"

if ((WARMUP)); then
    for w in stateless tumbling; do
        n=$(( $(events_of "$w") / 10 ))
        echo "# warm-up, not counted: $w, $n events; load: $(load)"
        run_flink "$w" "$n" "# warm-up: "
        run_weir "$w" "$n" "# warm-up: "
    done
fi

for round in $(seq "$RUNS"); do
    if ((round % 2)); then order=(flink weir); else order=(weir flink); fi
    for w in stateless tumbling; do
        for engine in "${order[@]}"; do
            echo "# round $round: $engine $w; load: $(load)"
            "run_$engine" "$w" "$(events_of "$w")" "" | tee -a "$RESULTS"
        done
    done
done
echo "# load after the runs: $(load)"

# --- the comparison --------------------------------------------------------------------------
if ((QUICK)); then CHART="${CHART:-$RUN_DIR/compare.png}"; else CHART="${CHART:-$HERE/compare.png}"; fi
TITLE="weir $COMMIT vs Apache Flink $FLINK_VERSION (SQL), p=$PARALLELISM, median of $RUNS run(s), $(nproc)-core VM, $(date -u +%Y-%m-%d)"
((QUICK)) && TITLE="$TITLE — QUICK MODE"
echo
"$PY" "$HERE/compare.py" "$RESULTS" --chart "$CHART" --title "$TITLE"
