"""Runs one workload as a Flink SQL job on a running standalone cluster and measures it.

Usage (inside the venv that has apache-flink):

    python flink_job.py WORKLOAD --events N --rest 127.0.0.1:18081 --jm-pid PID --tm-pid PID
                        [--parallelism 1] [--keys 10000] [--conf KEY=VALUE]... [--explain]

WORKLOAD is `stateless` or `tumbling`, the Flink SQL twins of weir-bench's workloads of the same
names (see `sql_statements`). The job is submitted with PyFlink's `TableEnvironment.execute_sql`
(`execution.target: remote`, session time zone UTC, Flink's defaults otherwise), then watched
through the cluster's REST API until it ends. Prints one line:

    FLINK_RESULT workload=<w> parallelism=<p> events=<n> seconds=<s> events_per_s=<x> cpu_s=<c>
        tm_cpu_s=<c> jm_cpu_s=<c> peak_rss_mb=<m> jm_rss_mb=<m> startup_s=<s> job_id=<id>
        [exchanged_records=<n>]

- `seconds`: from the earliest vertex `start-time` to the latest vertex `end-time` of
  `GET /jobs/<id>` (tasks deploying to tasks finished), so JVM start-up, the client's planning
  and code generation, and job submission are excluded.
- `startup_s`: of `seconds`, the part before the first subtask was RUNNING (deployment, operator
  set-up and the generated code's compilation in the TaskManager), from `subtasktimes`.
- `cpu_s`: user+system CPU of the TaskManager and JobManager processes (`/proc/<pid>/stat`
  utime+stime) from just before submission to the job's end (the processes idle while the
  client plans); `tm_cpu_s` and `jm_cpu_s` are the two parts.
- `peak_rss_mb`: the largest TaskManager `VmRSS` sampled every 100 ms while the job ran (the
  JVM keeps its heap between jobs, so this is the TaskManager's footprint, not the job's alone);
  `jm_rss_mb`: the JobManager's `VmRSS` at the end.
- `exchanged_records`: records that crossed from one task to another (the `read-records` of the
  job's vertices). tumbling: the partial aggregates Flink's local window aggregation sent over
  the hash exchange to the global one; stateless: every record the filter kept, because Flink
  runs the blackhole's sink writer as a task of its own after the datagen's legacy source task.

It is not a test of results: it checks only that the job FINISHED. I/O: the REST API (loopback
only), `/proc/<pid>/{stat,status}` of the two cluster processes, stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
import urllib.request

# Mirrors weir-bench's `stateless` map `(v ^ (v >> 29)) * 0xBF58_476D_1CE4_E5B9`; Flink SQL has no
# XOR or shift, so the twin adds instead of XOR and divides instead of shifting (same cost class).
SCRAMBLE_MULTIPLIER = -4658895280553007687  # 0xBF58476D1CE4E5B9 as a signed 64-bit integer

TERMINAL_STATES = {"FINISHED", "FAILED", "CANCELED"}
# The job's times come from the REST API, so the poll only ends the CPU window: once a second, as
# each poll costs the JobManager ~5 ms of CPU (a full `/jobs/<id>` ~7 ms).
POLL_INTERVAL_S = 1.0


def sql_statements(workload: str, events: int, keys: int) -> list[str]:
    """The DDL and the INSERT of one workload. The last statement is the job."""
    # Without `rows-per-second` datagen emits only 10,000 rows per second: lift the limit.
    unlimited = "'rows-per-second' = '1000000000000'"
    if workload == "stateless":
        return [
            f"""CREATE TABLE src (v BIGINT) WITH (
                'connector' = 'datagen', 'number-of-rows' = '{events}', {unlimited})""",
            "CREATE TABLE snk (v BIGINT) WITH ('connector' = 'blackhole')",
            f"""INSERT INTO snk
                SELECT (v + v / 536870912) * CAST({SCRAMBLE_MULTIPLIER} AS BIGINT)
                FROM src WHERE MOD(v, 16) <> 0""",
        ]
    if workload == "tumbling":
        # Event time: datagen's random TIMESTAMP_LTZ is the wall clock minus a uniform delay of
        # up to `max-past` (weir-bench: its own clock minus a uniform delay of up to 1 s).
        return [
            f"""CREATE TABLE src (
                    k BIGINT, v BIGINT, ts TIMESTAMP_LTZ(3),
                    WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
                ) WITH (
                    'connector' = 'datagen', 'number-of-rows' = '{events}', {unlimited},
                    'fields.k.min' = '0', 'fields.k.max' = '{keys - 1}',
                    'fields.v.min' = '0', 'fields.v.max' = '999',
                    'fields.ts.max-past' = '1s')""",
            "CREATE TABLE snk (k BIGINT, c BIGINT, s BIGINT) WITH ('connector' = 'blackhole')",
            """INSERT INTO snk
                SELECT k, COUNT(*), SUM(v)
                FROM TABLE(TUMBLE(TABLE src, DESCRIPTOR(ts), INTERVAL '1' SECOND))
                GROUP BY k, window_start, window_end""",
        ]
    raise ValueError(f"unknown workload {workload!r}: expected stateless or tumbling")


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process in seconds, from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        return parse_stat_cpu_ticks(f.read()) / os.sysconf("SC_CLK_TCK")


def parse_stat_cpu_ticks(stat: str) -> int:
    """utime + stime (fields 14 and 15) of a /proc/<pid>/stat line, in clock ticks.

    The command name (field 2) is in parentheses and may hold spaces, so split after its ')'.
    """
    fields = stat[stat.rindex(")") + 2 :].split()
    # fields[0] is field 3 (state): utime is field 14, stime field 15.
    return int(fields[11]) + int(fields[12])


def rss_mb(pid: int, key: str = "VmRSS") -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        return parse_status_kib(f.read(), key) / 1024.0


def parse_status_kib(status: str, key: str) -> int:
    """The value in kB of `key:` in a /proc/<pid>/status text."""
    for line in status.splitlines():
        if line.startswith(key + ":"):
            return int(line.split(":", 1)[1].strip().split()[0])
    raise ValueError(f"no {key} in the status text")


def rest_get(rest: str, path: str) -> dict:
    with urllib.request.urlopen(f"http://{rest}{path}", timeout=10) as response:
        return json.load(response)


def job_window(job: dict, subtask_times: list[dict]) -> tuple[float, float]:
    """(seconds, startup_s) of a finished job from `GET /jobs/<id>` and its vertices' `subtasktimes`.

    seconds: earliest vertex start-time to latest vertex end-time; startup_s: earliest vertex
    start-time to the earliest RUNNING of a subtask.
    """
    vertices = job["vertices"]
    start = min(v["start-time"] for v in vertices)
    end = max(v["end-time"] for v in vertices)
    if start <= 0 or end <= 0 or end < start:
        raise ValueError(f"job {job.get('jid')} has no complete vertex times: start={start} end={end}")
    running = [
        s["timestamps"]["RUNNING"]
        for times in subtask_times
        for s in times["subtasks"]
        if s.get("timestamps", {}).get("RUNNING", 0) > 0
    ]
    first_running = min(running) if running else start
    return (end - start) / 1000.0, max(0, first_running - start) / 1000.0


def result_line(fields: dict) -> str:
    """The FLINK_RESULT line: fields in the documented order, floats rounded as weir-bench does."""
    order = [
        ("workload", "{}"),
        ("parallelism", "{}"),
        ("events", "{}"),
        ("seconds", "{:.3f}"),
        ("events_per_s", "{:.0f}"),
        ("cpu_s", "{:.3f}"),
        ("tm_cpu_s", "{:.3f}"),
        ("jm_cpu_s", "{:.3f}"),
        ("peak_rss_mb", "{:.1f}"),
        ("jm_rss_mb", "{:.1f}"),
        ("startup_s", "{:.3f}"),
        ("job_id", "{}"),
        ("exchanged_records", "{}"),
    ]
    parts = [f"{key}={fmt.format(fields[key])}" for key, fmt in order if key in fields]
    return "FLINK_RESULT " + " ".join(parts)


class RssSampler(threading.Thread):
    """Samples a process's VmRSS until stopped; `peak_mb` is the largest sample."""

    def __init__(self, pid: int, interval_s: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.interval_s = interval_s
        self.peak_mb = 0.0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.peak_mb = max(self.peak_mb, rss_mb(self.pid))
            self._stop_event.wait(self.interval_s)

    def stop(self) -> float:
        self._stop_event.set()
        self.join()
        self.peak_mb = max(self.peak_mb, rss_mb(self.pid))
        return self.peak_mb


def table_environment(rest: str, parallelism: int, overrides: list[str]):
    from pyflink.common import Configuration
    from pyflink.table import EnvironmentSettings, TableEnvironment

    host, port = rest.rsplit(":", 1)
    conf = Configuration()
    conf.set_string("execution.target", "remote")
    conf.set_string("rest.address", host)
    conf.set_string("rest.port", port)
    conf.set_string("parallelism.default", str(parallelism))
    # Windows aligned to the epoch in UTC, as weir's are; it also spares every record the
    # conversion Flink makes for TIMESTAMP_LTZ in any other session time zone (the JVM's by
    # default, here 'Etc/UTC', which Flink does not take for UTC).
    conf.set_string("table.local-time-zone", "UTC")
    for override in overrides:
        key, sep, value = override.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--conf {override!r}: expected KEY=VALUE")
        conf.set_string(key.strip(), value.strip())
    settings = EnvironmentSettings.new_instance().in_streaming_mode().with_configuration(conf).build()
    return TableEnvironment.create(settings)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("workload", choices=["stateless", "tumbling"])
    parser.add_argument("--events", type=int, required=True)
    parser.add_argument("--keys", type=int, default=10_000)
    parser.add_argument("--parallelism", type=int, default=1)
    parser.add_argument("--rest", required=True, help="host:port of the cluster's REST API")
    parser.add_argument("--jm-pid", type=int, required=True)
    parser.add_argument("--tm-pid", type=int, required=True)
    parser.add_argument(
        "--conf",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a Flink option for the job, e.g. pipeline.object-reuse=true (repeatable)",
    )
    parser.add_argument("--explain", action="store_true", help="print the optimized plan first")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds to wait for the job")
    args = parser.parse_args()
    if args.events > 2**31 - 1:
        parser.error("Flink's datagen counts rows in an int: --events must be below 2^31")

    t_env = table_environment(args.rest, args.parallelism, args.conf)
    *ddl, job = sql_statements(args.workload, args.events, args.keys)
    for statement in ddl:
        t_env.execute_sql(statement)
    if args.explain:
        print(t_env.explain_sql(job), file=sys.stderr)

    tm_cpu0, jm_cpu0 = cpu_seconds(args.tm_pid), cpu_seconds(args.jm_pid)
    sampler = RssSampler(args.tm_pid)
    sampler.start()
    client = t_env.execute_sql(job).get_job_client()
    if client is None:
        raise RuntimeError("the INSERT returned no job client: was the job submitted?")
    job_id = str(client.get_job_id())

    deadline = time.monotonic() + args.timeout
    while (state := rest_get(args.rest, f"/jobs/{job_id}/status")["status"]) not in TERMINAL_STATES:
        if time.monotonic() > deadline:
            raise RuntimeError(f"job {job_id} still {state} after {args.timeout:.0f} s")
        time.sleep(POLL_INTERVAL_S)
    tm_cpu1, jm_cpu1 = cpu_seconds(args.tm_pid), cpu_seconds(args.jm_pid)
    peak_rss = sampler.stop()
    job = rest_get(args.rest, f"/jobs/{job_id}")
    if job["state"] != "FINISHED":
        exceptions = rest_get(args.rest, f"/jobs/{job_id}/exceptions")
        root = (exceptions.get("root-exception") or "").splitlines()[:5]
        raise RuntimeError(f"job {job_id} ended {job['state']}: " + " | ".join(root))

    subtask_times = [rest_get(args.rest, f"/jobs/{job_id}/vertices/{v['id']}/subtasktimes") for v in job["vertices"]]
    seconds, startup = job_window(job, subtask_times)
    fields = {
        "workload": args.workload,
        "parallelism": args.parallelism,
        "events": args.events,
        "seconds": seconds,
        "events_per_s": args.events / seconds if seconds > 0 else 0.0,
        "cpu_s": (tm_cpu1 - tm_cpu0) + (jm_cpu1 - jm_cpu0),
        "tm_cpu_s": tm_cpu1 - tm_cpu0,
        "jm_cpu_s": jm_cpu1 - jm_cpu0,
        "peak_rss_mb": peak_rss,
        "jm_rss_mb": rss_mb(args.jm_pid),
        "startup_s": startup,
        "job_id": job_id,
    }
    if len(job["vertices"]) > 1:
        fields["exchanged_records"] = sum(v["metrics"]["read-records"] for v in job["vertices"])
    print(result_line(fields), flush=True)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as error:  # one readable line for compare.sh's log, not a Py4J trace
        print(f"error: flink_job.py: {type(error).__name__}: {error}", file=sys.stderr)
        sys.exit(1)
