//! `nexmark-q0` … `nexmark-q12`: the Nexmark queries of [`crate::nexmark`] on its generator,
//! into a blackhole, or with `--rate` into the latency sink.
//!
//! **Without `--rate`** the source runs as fast as the job takes its events, event time
//! advancing 10 M events per second (Flink's suite) on one timeline per source subtask, from a
//! fixed base time: every run sees the same events. The `RESULT` line adds `events_per_cpu_s`
//! (events divided by the process's CPU seconds: throughput per core used) and `outputs` (what
//! the sink received).
//!
//! **With `--rate R`** the source emits `R` events per second in total and event time advances
//! `R` per second from the moment the job is built, so timestamps are due times on the wall
//! clock; the sink measures every output's latency against its timestamp (definition in
//! [`crate::nexmark::latency`]) and the line adds `rate`, `latency_samples`, `latency_early` and
//! `latency_p50_ms`, `latency_p99_ms`, `latency_max_ms`. Pick `--events` for the run length:
//! `R × seconds`.
//!
//! Every query's events are `--events` in total (persons, auctions and bids, 1:3:46); `--keys`
//! and `--slide` do not apply.

use super::{DEFAULT_KEYS, Probe, Run, Workload, WorkloadParams};
use crate::nexmark::config::{DEFAULT_BASE_TIME, DEFAULT_EVENTS_PER_SECOND, NexmarkConfig};
use crate::nexmark::latency::LatencyRecorder;
use crate::nexmark::model::Event;
use crate::nexmark::queries;
use crate::nexmark::source::nexmark_events;
use weir_connectors::BlackholeSink;
use weir_core::Data;
use weir_runtime::{DataStream, StreamExecutionEnvironment};

const fn nexmark(
    name: &'static str,
    description: &'static str,
    default_events: u64,
    build: fn(&StreamExecutionEnvironment, &WorkloadParams) -> anyhow::Result<Probe>,
) -> Workload {
    Workload {
        name,
        description,
        default_events,
        default_keys: DEFAULT_KEYS,
        samples_rss: false,
        run: Run::ProbedJob(build),
    }
}

pub const Q0: Workload = nexmark("nexmark-q0", "Nexmark q0: pass-through of every bid", 30_000_000, q0);
pub const Q1: Workload = nexmark("nexmark-q1", "Nexmark q1: bids with prices in euros (map)", 30_000_000, q1);
pub const Q2: Workload = nexmark("nexmark-q2", "Nexmark q2: bids on every 123rd auction (filter)", 30_000_000, q2);
pub const Q3: Workload =
    nexmark("nexmark-q3", "Nexmark q3: sellers in OR/ID/CA joined with their category-10 auctions", 30_000_000, q3);
pub const Q4: Workload = nexmark(
    "nexmark-q4",
    "Nexmark q4: average winning price per category (join over auction lifetimes)",
    20_000_000,
    q4,
);
pub const Q5: Workload =
    nexmark("nexmark-q5", "Nexmark q5: auctions with the most bids per 10 s window sliding by 2 s", 10_000_000, q5);
pub const Q7: Workload = nexmark("nexmark-q7", "Nexmark q7: highest bids per 10 s tumbling window", 30_000_000, q7);
pub const Q8: Workload =
    nexmark("nexmark-q8", "Nexmark q8: persons who registered and sold in the same 10 s window", 30_000_000, q8);
pub const Q11: Workload = nexmark("nexmark-q11", "Nexmark q11: bids per bidder session (10 s gap)", 15_000_000, q11);
pub const Q12: Workload =
    nexmark("nexmark-q12", "Nexmark q12: bids per bidder per 10 s of processing time", 20_000_000, q12);

/// A run being built: its latency recorder, if it measures latency.
struct NexmarkRun {
    latency: Option<LatencyRecorder>,
}

impl NexmarkRun {
    fn new(params: &WorkloadParams) -> Self {
        NexmarkRun { latency: params.rate.map(|_| LatencyRecorder::new()) }
    }

    /// The generator's events for these parameters (see the module docs for the two modes): with
    /// a rate, event time starts at the latency recorder's origin.
    fn events(&self, env: &StreamExecutionEnvironment, params: &WorkloadParams) -> DataStream<Event> {
        let config = NexmarkConfig::new(params.events)
            .with_events_per_second(params.rate.unwrap_or(DEFAULT_EVENTS_PER_SECOND))
            .with_splits(params.parallelism as u64)
            .with_base_time(self.latency.as_ref().map_or(DEFAULT_BASE_TIME, LatencyRecorder::origin_millis));
        nexmark_events(env, &config, params.rate)
    }

    /// The sink of the run: the latency sink with a rate, otherwise a blackhole.
    fn sink<T: Data>(self, results: DataStream<T>) -> Probe {
        match &self.latency {
            Some(recorder) => results.sink_to(recorder.sink()),
            None => results.sink_to(BlackholeSink::new()),
        };
        Probe { latency: self.latency }
    }
}

fn q0(env: &StreamExecutionEnvironment, params: &WorkloadParams) -> anyhow::Result<Probe> {
    let run = NexmarkRun::new(params);
    let events = run.events(env, params);
    Ok(run.sink(queries::q0::build(&events)))
}

fn q1(env: &StreamExecutionEnvironment, params: &WorkloadParams) -> anyhow::Result<Probe> {
    let run = NexmarkRun::new(params);
    let events = run.events(env, params);
    Ok(run.sink(queries::q1::build(&events)))
}

fn q2(env: &StreamExecutionEnvironment, params: &WorkloadParams) -> anyhow::Result<Probe> {
    let run = NexmarkRun::new(params);
    let events = run.events(env, params);
    Ok(run.sink(queries::q2::build(&events)))
}

fn q3(env: &StreamExecutionEnvironment, params: &WorkloadParams) -> anyhow::Result<Probe> {
    let run = NexmarkRun::new(params);
    let events = run.events(env, params);
    Ok(run.sink(queries::q3::build(&events)))
}

fn q4(env: &StreamExecutionEnvironment, params: &WorkloadParams) -> anyhow::Result<Probe> {
    let run = NexmarkRun::new(params);
    let events = run.events(env, params);
    Ok(run.sink(queries::q4::build(&events)))
}

fn q5(env: &StreamExecutionEnvironment, params: &WorkloadParams) -> anyhow::Result<Probe> {
    let run = NexmarkRun::new(params);
    let events = run.events(env, params);
    Ok(run.sink(queries::q5::build(&events)?))
}

fn q7(env: &StreamExecutionEnvironment, params: &WorkloadParams) -> anyhow::Result<Probe> {
    let run = NexmarkRun::new(params);
    let events = run.events(env, params);
    Ok(run.sink(queries::q7::build(&events)?))
}

fn q8(env: &StreamExecutionEnvironment, params: &WorkloadParams) -> anyhow::Result<Probe> {
    let run = NexmarkRun::new(params);
    let events = run.events(env, params);
    Ok(run.sink(queries::q8::build(&events)))
}

fn q11(env: &StreamExecutionEnvironment, params: &WorkloadParams) -> anyhow::Result<Probe> {
    let run = NexmarkRun::new(params);
    let events = run.events(env, params);
    Ok(run.sink(queries::q11::build(&events)?))
}

fn q12(env: &StreamExecutionEnvironment, params: &WorkloadParams) -> anyhow::Result<Probe> {
    let run = NexmarkRun::new(params);
    let events = run.events(env, params);
    Ok(run.sink(queries::q12::build(&events)?))
}
