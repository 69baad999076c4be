//! Local (pre-exchange) aggregation of sliced window aggregates (issue 7): the same results with
//! `weir.windows.local-aggregation` on and off — tumbling and sliding windows, several keys,
//! parallel sources and windows, out-of-order input, allowed lateness, late records re-firing
//! or dropped and counted — with fewer records crossing the exchange when it is on; and not used
//! where it would not be exact (a late-data side output).

mod common;

use common::{env, jittered_timestamp, keyed_events};
use std::time::Duration;
use weir_connectors::DataGenSource;
use weir_core::Key;
use weir_core::watermark::{WatermarkGenerator, WatermarkOutput};
use weir_core::window::WindowAssigner;
use weir_runtime::prelude::*;
use weir_testkit::CollectSink;

const LOCAL: &str = "LocalWindowAggregate";
const GLOBAL: &str = "Window(sliced aggregate)";

/// Count and sum of the second field.
#[derive(Clone)]
struct CountSum;

impl AggregateFunction<(u64, u64), (u64, u64), (u64, u64)> for CountSum {
    fn create_accumulator(&self) -> (u64, u64) {
        (0, 0)
    }
    fn add(&self, acc: &mut (u64, u64), value: &(u64, u64)) {
        acc.0 += 1;
        acc.1 += value.1;
    }
    fn merge(&self, acc: &mut (u64, u64), other: &(u64, u64)) {
        acc.0 += other.0;
        acc.1 += other.1;
    }
    fn get_result(&self, acc: &(u64, u64)) -> (u64, u64) {
        *acc
    }
}

/// One line per firing: key, window, count, sum.
#[derive(Clone)]
struct Describe;

impl<K: Key + std::fmt::Debug> ProcessWindowFunction<K, (u64, u64), String, TimeWindow> for Describe {
    fn process(
        &mut self,
        key: &K,
        ctx: &mut WindowContext<'_, K, TimeWindow, String>,
        results: Vec<(u64, u64)>,
    ) -> Result<()> {
        let w = *ctx.window();
        for (n, sum) in results {
            ctx.collect(format!("{key:?} [{}, {}) n={n} sum={sum}", w.start, w.end));
        }
        Ok(())
    }
}

/// What a run gives: its sorted output, the records into the window operator, and how many
/// the window operator dropped as late.
struct Run {
    lines: Vec<String>,
    window_records_in: u64,
    dropped: u64,
    has_local: bool,
}

fn run(env: &StreamExecutionEnvironment, stream: DataStream<String>) -> Run {
    let sink = CollectSink::new();
    stream.sink_to(sink.clone());
    // Where there is one, the pre-aggregation is chained to the operator feeding it (source and
    // timestamps), at its parallelism: no exchange of its own.
    let plan = env.explain().expect("valid");
    let local_vertex = plan.vertices.iter().find(|v| v.operators.iter().any(|o| o == LOCAL));
    if let Some(vertex) = local_vertex {
        assert!(vertex.operators.len() >= 3, "{plan}");
    }
    let result = env.execute("local aggregation").expect("job runs");
    let mut lines = sink.values();
    lines.sort();
    Run {
        lines,
        window_records_in: result.operators.iter().filter(|o| o.name == GLOBAL).map(|o| o.records_in).sum(),
        dropped: result.operators.iter().map(|o| o.late_records_dropped).sum(),
        has_local: result.operators.iter().any(|o| o.name == LOCAL),
    }
}

const RECORDS: u64 = 20_000;

/// Watermarks 41 ms behind the highest timestamp, rounded down to 500 ms steps: few enough
/// that a local pre-aggregation folds hundreds of records between two, and deterministic.
#[derive(Default)]
struct Stepped {
    max: Option<i64>,
}

impl<T> WatermarkGenerator<T> for Stepped {
    fn on_event(&mut self, _event: &T, timestamp: Timestamp, output: &mut WatermarkOutput) {
        let max = self.max.map_or(timestamp, |m| m.max(timestamp));
        self.max = Some(max);
        output.emit_watermark(Watermark((max - 41).div_euclid(500) * 500));
    }
    fn on_periodic_emit(&mut self, _output: &mut WatermarkOutput) {}
}
const KEYS: u64 = 7;

/// `RECORDS` records `(i % KEYS, i)` from a datagen at parallelism 2 (a contiguous range of
/// indices each), stamped on the source's subtasks with up to 29 ms of disorder and watermarks
/// 41 ms or more behind ([`Stepped`]): nothing is late, whatever the interleaving, so runs
/// compare exactly.
/// Windows at parallelism 3.
fn parallel_job(assigner: impl WindowAssigner<(u64, u64), Window = TimeWindow> + 'static, local: bool) -> Run {
    let env = env(3);
    env.set_config("weir.windows.local-aggregation", if local { "true" } else { "false" });
    let out = env
        .from_source(DataGenSource::new(|i| (i % KEYS, i)).with_count(RECORDS), "events")
        .set_parallelism(2)
        .assign_timestamps_and_watermarks(
            WatermarkStrategy::for_generator(Stepped::default)
                .with_timestamp_assigner(|(_, i): &(u64, u64), _| jittered_timestamp(*i)),
        )
        .set_parallelism(2)
        .key_by(|(k, _): &(u64, u64)| *k)
        .window(assigner)
        .allowed_lateness(Duration::from_millis(50))
        .aggregate_with_process(CountSum, Describe);
    run(&env, out)
}

/// On and off give the same lines; on, the window operator gets far fewer records than there are.
fn same_with_and_without<A>(assigner: impl Fn() -> A)
where
    A: WindowAssigner<(u64, u64), Window = TimeWindow> + 'static,
{
    let with = parallel_job(assigner(), true);
    let without = parallel_job(assigner(), false);
    assert!(with.has_local && !without.has_local);
    assert!(!with.lines.is_empty());
    assert_eq!(with.lines, without.lines);
    assert_eq!(without.window_records_in, RECORDS);
    assert!(with.window_records_in < RECORDS / 4, "{} partials crossed the exchange", with.window_records_in);
    assert_eq!((with.dropped, without.dropped), (0, 0));
}

#[test]
fn tumbling_windows_give_the_same_results_with_local_aggregation_at_parallelism_2_to_3() {
    same_with_and_without(|| TumblingWindows::event_time(Duration::from_millis(100)).expect("valid"));
}

#[test]
fn sliding_windows_give_the_same_results_with_local_aggregation_at_parallelism_2_to_3() {
    same_with_and_without(|| {
        SlidingWindows::event_time(Duration::from_millis(300), Duration::from_millis(100)).expect("valid")
    });
    // A slide that does not divide the size: two slices per slide.
    same_with_and_without(|| {
        SlidingWindows::event_time(Duration::from_millis(250), Duration::from_millis(100)).expect("valid")
    });
}

/// `(key, ts)` at parallelism 1 (deterministic), with records late but within the lateness
/// (re-firing their window once each) and records later than that (dropped and counted).
fn late_job(sliding: bool, local: bool) -> Run {
    let env = env(2);
    env.set_config("weir.windows.local-aggregation", if local { "true" } else { "false" });
    // Watermark = max - 101. a@50 a@60 b@70 land in [0, 100), which fires at a@650; c@1150
    // moves the watermark to 1049: with 1000 ms of lateness [0, 100) stays until 1099, so a@20,
    // a@30 and b@40 re-fire it (each once); after d@2400 (watermark 2299) a@10 and a@15 are
    // later than the lateness: dropped, two of them.
    let input: Vec<(String, i64)> = [
        ("a", 50),
        ("a", 60),
        ("b", 70),
        ("a", 650),
        ("c", 1_150),
        ("a", 20),
        ("a", 30),
        ("b", 40),
        ("a", 1_250),
        ("a", 1_260),
        ("d", 2_400),
        ("a", 10),
        ("a", 15),
        ("c", 2_350),
    ]
    .iter()
    .map(|(k, t)| (k.to_string(), *t))
    .collect();
    let keyed = keyed_events(&env, input, 100);
    let windows = if sliding {
        keyed.window(SlidingWindows::event_time(Duration::from_millis(200), Duration::from_millis(100)).expect("valid"))
    } else {
        keyed.window(TumblingWindows::event_time(Duration::from_millis(100)).expect("valid"))
    };
    let out = windows.allowed_lateness(Duration::from_millis(1_000)).aggregate_with_process(CountTimes, Describe);
    run(&env, out)
}

/// Count and sum of the timestamps of `(key, ts)` records.
#[derive(Clone)]
struct CountTimes;

impl AggregateFunction<(String, i64), (u64, u64), (u64, u64)> for CountTimes {
    fn create_accumulator(&self) -> (u64, u64) {
        (0, 0)
    }
    fn add(&self, acc: &mut (u64, u64), value: &(String, i64)) {
        acc.0 += 1;
        acc.1 += value.1 as u64;
    }
    fn merge(&self, acc: &mut (u64, u64), other: &(u64, u64)) {
        CountSum.merge(acc, other);
    }
    fn get_result(&self, acc: &(u64, u64)) -> (u64, u64) {
        *acc
    }
}

#[test]
fn late_records_refire_and_are_dropped_as_without_local_aggregation() {
    for sliding in [false, true] {
        let with = late_job(sliding, true);
        let without = late_job(sliding, false);
        assert!(with.has_local && !without.has_local);
        assert_eq!(with.lines, without.lines, "sliding: {sliding}");
        assert_eq!(with.dropped, without.dropped, "sliding: {sliding}");
        assert_eq!(without.dropped, 2);
    }
    // Each late record within the lateness re-fires [0, 100) once: a's window fires with 2,
    // then 3 and 4 records; b's with 1, then 2.
    let tumbling = late_job(false, true).lines;
    let first_window: Vec<&String> = tumbling.iter().filter(|l| l.contains("[0, 100)")).collect();
    assert_eq!(
        first_window,
        [
            "\"a\" [0, 100) n=2 sum=110",
            "\"a\" [0, 100) n=3 sum=130",
            "\"a\" [0, 100) n=4 sum=160",
            "\"b\" [0, 100) n=1 sum=70",
            "\"b\" [0, 100) n=2 sum=110",
        ]
    );
}

#[test]
fn a_late_data_side_output_takes_the_records_path() {
    let env = env(2);
    let late = OutputTag::<(String, i64)>::new("late");
    let input = vec![("a".to_string(), 50), ("b".to_string(), 1_300), ("a".to_string(), 10)];
    let windows = keyed_events(&env, input, 100)
        .window(TumblingWindows::event_time(Duration::from_millis(100)).expect("valid"))
        .side_output_late_data(&late)
        .aggregate_with_process(CountTimes, Describe);
    let late_sink = CollectSink::new();
    windows.get_side_output(&late).sink_to(late_sink.clone());
    let got = run(&env, windows);
    assert!(!got.has_local);
    assert_eq!(late_sink.values(), [("a".to_string(), 10)]);
    assert_eq!(got.lines, ["\"a\" [0, 100) n=1 sum=50", "\"b\" [1300, 1400) n=1 sum=1300"]);
}

/// `window_all`: partials from every source subtask meet in the one window subtask.
#[test]
fn window_all_pre_aggregates_on_every_source_subtask() {
    let job = |local: bool| {
        let env = env(2);
        env.set_config("weir.windows.local-aggregation", if local { "true" } else { "false" });
        let out = env
            .from_source(DataGenSource::new(|i| (i % KEYS, i)).with_count(RECORDS), "events")
            .set_parallelism(2)
            .assign_timestamps_and_watermarks(
                WatermarkStrategy::for_generator(Stepped::default)
                    .with_timestamp_assigner(|(_, i): &(u64, u64), _| jittered_timestamp(*i)),
            )
            .set_parallelism(2)
            .window_all(TumblingWindows::event_time(Duration::from_millis(1_000)).expect("valid"))
            .aggregate_with_process(CountSum, Describe);
        run(&env, out)
    };
    let (with, without) = (job(true), job(false));
    assert_eq!(with.lines, without.lines);
    assert_eq!(with.lines.len(), 21);
    assert!(with.window_records_in < 200, "{} partials", with.window_records_in);
}
