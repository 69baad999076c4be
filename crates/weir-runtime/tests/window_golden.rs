//! Window results checked by hand: tumbling, sliding, session merging, count windows, allowed
//! lateness re-firing, late data to a side output or dropped and counted, evictors, window_all.

mod common;

use common::{env, events, keyed_events};
use std::time::Duration;
use weir_runtime::prelude::*;
use weir_testkit::CollectSink;

/// Counts the records of a window and reports it with its bounds.
#[derive(Clone)]
struct Describe;

impl ProcessWindowFunction<String, (String, i64), String, TimeWindow> for Describe {
    fn process(
        &mut self,
        key: &String,
        ctx: &mut WindowContext<'_, String, TimeWindow, String>,
        elements: Vec<(String, i64)>,
    ) -> Result<()> {
        let w = *ctx.window();
        let mut times: Vec<i64> = elements.iter().map(|(_, t)| *t).collect();
        times.sort_unstable();
        ctx.collect(format!("{key} [{}, {}) {times:?}", w.start, w.end));
        Ok(())
    }
}

fn run(env: &StreamExecutionEnvironment, stream: DataStream<String>) -> Vec<String> {
    let sink = CollectSink::new();
    stream.sink_to(sink.clone());
    env.execute("windows").expect("job runs");
    sink.values()
}

#[test]
fn tumbling_event_time_windows_fire_when_the_watermark_passes_their_end() {
    let env = env(2);
    let input = events(&[("a", 100), ("b", 900), ("a", 1_200), ("a", 50), ("b", 2_500), ("a", 1_999), ("a", 4_000)]);
    let out = keyed_events(&env, input, 500)
        .window(TumblingWindows::event_time(Duration::from_secs(1)).expect("valid"))
        .process(Describe);
    let mut got = run(&env, out);
    got.sort();
    // a@1999 arrives after b@2500 moved the watermark to 1999, the last millisecond of
    // [1000, 2000): that window has fired and the record is late (dropped).
    assert_eq!(
        got,
        [
            "a [0, 1000) [50, 100]",
            "a [1000, 2000) [1200]",
            "a [4000, 5000) [4000]",
            "b [0, 1000) [900]",
            "b [2000, 3000) [2500]"
        ]
    );
}

#[test]
fn sliding_windows_hold_each_record_in_every_window_it_falls_in() {
    let env = env(1);
    let input = events(&[("k", 0), ("k", 1_500), ("k", 2_100)]);
    let counts = keyed_events(&env, input, 0)
        .window(SlidingWindows::event_time(Duration::from_secs(2), Duration::from_secs(1)).expect("valid"))
        .aggregate(Count)
        .map(|n: u64| n.to_string());
    let sink = CollectSink::new();
    counts.sink_to(sink.clone());
    env.execute("sliding").expect("job runs");
    // Windows [-1000,1000) {0}, [0,2000) {0,1500}, [1000,3000) {1500,2100}, [2000,4000) {2100},
    // emitted in order of their ends, each stamped with its last millisecond.
    let got: Vec<(String, Option<i64>)> = sink.records().into_iter().map(|r| (r.value, r.timestamp)).collect();
    let want = [("1", 999), ("2", 1_999), ("2", 2_999), ("1", 3_999)];
    assert_eq!(got, want.map(|(v, t)| (v.to_string(), Some(t))));
}

#[derive(Clone)]
struct Count;

impl AggregateFunction<(String, i64), u64, u64> for Count {
    fn create_accumulator(&self) -> u64 {
        0
    }
    fn add(&self, acc: &mut u64, _value: &(String, i64)) {
        *acc += 1;
    }
    fn merge(&self, acc: &mut u64, other: &u64) {
        *acc += other;
    }
    fn get_result(&self, acc: &u64) -> u64 {
        *acc
    }
}

#[test]
fn sessions_merge_when_a_record_bridges_their_gap() {
    let env = env(1);
    // Gap 10: a@1 and a@5 form [1, 15); a@22 starts [22, 32); a@13 ([13, 23)) overlaps both and
    // bridges them into [1, 32). b@100 comes last and alone. The watermark trails by 50, so
    // nothing fires before it.
    let input = events(&[("a", 1), ("a", 5), ("a", 22), ("a", 13), ("b", 100)]);
    let out = keyed_events(&env, input, 50)
        .window(SessionWindows::event_time(Duration::from_millis(10)).expect("valid"))
        .process(Describe);
    let mut got = run(&env, out);
    got.sort();
    assert_eq!(got, ["a [1, 32) [1, 5, 13, 22]", "b [100, 110) [100]"]);
}

#[test]
fn sessions_that_fired_before_the_bridge_stay_apart() {
    let env = env(1);
    // The watermark trails by 0: [1, 11) fires at a@30 (watermark 29); a@30 and a@35 form a
    // session of their own, which the final watermark fires.
    let input = events(&[("a", 1), ("a", 30), ("a", 35)]);
    let out = keyed_events(&env, input, 0)
        .window(SessionWindows::event_time(Duration::from_millis(10)).expect("valid"))
        .process(Describe);
    assert_eq!(run(&env, out), ["a [1, 11) [1]", "a [30, 45) [30, 35]"]);
}

#[test]
fn allowed_lateness_refires_and_later_records_go_to_the_side_output() {
    let env = env(1);
    let late = OutputTag::<(String, i64)>::new("late");
    // Window [0,1000) fires at a@1500 (watermark 1499). a@300 is late but within the 1000 ms of
    // allowed lateness (cleanup at 1999): the window re-fires with it. a@2600 moves the watermark
    // to 2599, past the cleanup; a@400 then goes to the side output.
    let input = events(&[("a", 100), ("a", 1_500), ("a", 300), ("a", 2_600), ("a", 400)]);
    let windows = keyed_events(&env, input, 0)
        .window(TumblingWindows::event_time(Duration::from_secs(1)).expect("valid"))
        .allowed_lateness(Duration::from_secs(1))
        .side_output_late_data(&late)
        .process(Describe);
    let late_sink = CollectSink::new();
    windows.get_side_output(&late).sink_to(late_sink.clone());
    let got = run(&env, windows);
    assert_eq!(got, ["a [0, 1000) [100]", "a [0, 1000) [100, 300]", "a [1000, 2000) [1500]", "a [2000, 3000) [2600]"]);
    assert_eq!(late_sink.values(), [("a".to_string(), 400)]);
}

#[test]
fn without_a_side_output_late_records_are_dropped_and_counted() {
    let env = env(1);
    let input = events(&[("a", 100), ("a", 5_000), ("a", 200), ("b", 300)]);
    let out = keyed_events(&env, input, 0)
        .window(TumblingWindows::event_time(Duration::from_secs(1)).expect("valid"))
        .process(Describe);
    let sink = CollectSink::new();
    out.sink_to(sink.clone());
    let result = env.execute("late").expect("job runs");
    assert_eq!(sink.values(), ["a [0, 1000) [100]", "a [5000, 6000) [5000]"]);
    let window = result.operator("Window(process)").expect("window operator");
    assert_eq!(window.late_records_dropped, 2);
    assert!(result.to_string().contains("(2 late records dropped)"), "{result}");
}

#[test]
fn count_windows_fire_every_n_records_per_key() {
    let env = env(2);
    let input = events(&[("a", 1), ("a", 2), ("b", 3), ("a", 4), ("a", 5), ("b", 6), ("a", 7), ("a", 8)]);
    let sums = keyed_events(&env, input.clone(), 0).count_window(3).reduce(|(k, x), (_, y)| (k, x + y));
    let sink = CollectSink::new();
    sums.sink_to(sink.clone());
    // The last 3 of each key every 2 records: a: [1,2]→ 3, [1,2,4,5]→last 3 = 2+4+5, ...
    let sliding = keyed_events(&env, input, 0).count_window_sliding(3, 2).reduce(|(k, x), (_, y)| (k, x + y));
    let sliding_sink = CollectSink::new();
    sliding.sink_to(sliding_sink.clone());
    env.execute("count windows").expect("job runs");
    // a: 1+2+4 = 7 (then 5,7,8 = 20); b has only 2 records: no window is full.
    assert_eq!(sink.sorted_values(), [("a".to_string(), 7), ("a".to_string(), 20)]);
    // a's 2nd record → [1,2]; 4th → [2,4,5]; 6th → [5,7,8]. b's 2nd → [3,6].
    assert_eq!(
        sliding_sink.sorted_values(),
        [("a".to_string(), 3), ("a".to_string(), 11), ("a".to_string(), 20), ("b".to_string(), 9)]
    );
}

#[test]
fn an_evictor_keeps_only_the_newest_records_of_a_window() {
    let env = env(1);
    let input = events(&[("a", 10), ("a", 20), ("a", 30), ("a", 40)]);
    let out = keyed_events(&env, input, 0)
        .window(TumblingWindows::event_time(Duration::from_secs(1)).expect("valid"))
        .evictor(CountEvictor::of(2))
        .process(Describe);
    assert_eq!(run(&env, out), ["a [0, 1000) [30, 40]"]);
}

#[test]
fn window_all_sees_every_key_in_one_window() {
    let env = env(2);
    let input = events(&[("a", 10), ("b", 20), ("c", 1_500)]);
    let counts = env
        .from_collection(input)
        .assign_timestamps_and_watermarks(
            WatermarkStrategy::for_monotonous_timestamps().with_timestamp_assigner(|e: &(String, i64), _| e.1),
        )
        .window_all(TumblingWindows::event_time(Duration::from_secs(1)).expect("valid"))
        .aggregate(Count);
    let sink = CollectSink::new();
    counts.sink_to(sink.clone());
    let plan = env.explain().expect("valid");
    assert!(
        plan.vertices
            .iter()
            .any(|v| v.operators.contains(&"Window(sliced aggregate)".to_string()) && v.parallelism == 1),
        "{plan}"
    );
    env.execute("window all").expect("job runs");
    assert_eq!(sink.sorted_values(), [1, 2]);
}

#[test]
fn a_reduce_with_a_process_function_sees_the_window() {
    #[derive(Clone)]
    struct Label;
    impl ProcessWindowFunction<String, Option<(String, i64)>, String, TimeWindow> for Label {
        fn process(
            &mut self,
            key: &String,
            ctx: &mut WindowContext<'_, String, TimeWindow, String>,
            elements: Vec<Option<(String, i64)>>,
        ) -> Result<()> {
            let max = elements.into_iter().flatten().map(|(_, t)| t).max().unwrap_or(0);
            let end = ctx.window().end;
            ctx.collect(format!("{key} until {end}: latest {max}"));
            Ok(())
        }
    }
    let env = env(1);
    let out = keyed_events(&env, events(&[("a", 10), ("a", 700), ("a", 300)]), 1_000)
        .window(TumblingWindows::event_time(Duration::from_secs(1)).expect("valid"))
        .reduce_with_process(|x: (String, i64), y: (String, i64)| if x.1 >= y.1 { x } else { y }, Label);
    assert_eq!(run(&env, out), ["a until 1000: latest 700"]);
}

#[test]
fn event_time_windows_need_timestamps() {
    let env = env(1);
    env.from_collection(vec![("a".to_string(), 1i64)])
        .key_by(|(k, _): &(String, i64)| k.clone())
        .window(TumblingWindows::event_time(Duration::from_secs(1)).expect("valid"))
        .process(Describe)
        .sink_to(CollectSink::new());
    let err = env.execute("no timestamps").expect_err("fails").to_string();
    assert!(err.contains("no timestamp") && err.contains("Window(process)"), "{err}");
}
