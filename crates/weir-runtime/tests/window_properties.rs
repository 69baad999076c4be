//! Property tests: the window operator in a real job against a sequential reference model, on
//! random out-of-order input with punctuated watermarks (deterministic at parallelism 1), on every
//! path: the general operator, slices, slices behind a local pre-aggregation, per-window aggregates.

mod common;

use common::{env, keyed_events};
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::time::Duration;
use weir_runtime::prelude::*;
use weir_testkit::CollectSink;

/// Emits `(key, start, end, count)` for every firing.
#[derive(Clone)]
struct CountWindow;

impl ProcessWindowFunction<String, (String, i64), (String, i64, i64, usize), TimeWindow> for CountWindow {
    fn process(
        &mut self,
        key: &String,
        ctx: &mut WindowContext<'_, String, TimeWindow, (String, i64, i64, usize)>,
        elements: Vec<(String, i64)>,
    ) -> Result<()> {
        let w = *ctx.window();
        ctx.collect((key.clone(), w.start, w.end, elements.len()));
        Ok(())
    }
}

type Firing = (String, i64, i64, usize);

/// Counts records incrementally (so the window takes the slice-sharing path when it can).
#[derive(Clone)]
struct CountAll;

impl AggregateFunction<(String, i64), usize, usize> for CountAll {
    fn create_accumulator(&self) -> usize {
        0
    }
    fn add(&self, acc: &mut usize, _value: &(String, i64)) {
        *acc += 1;
    }
    fn merge(&self, acc: &mut usize, other: &usize) {
        *acc += other;
    }
    fn get_result(&self, acc: &usize) -> usize {
        *acc
    }
}

/// Reports the pre-aggregated count with its window.
#[derive(Clone)]
struct WithWindow;

impl ProcessWindowFunction<String, usize, Firing, TimeWindow> for WithWindow {
    fn process(
        &mut self,
        key: &String,
        ctx: &mut WindowContext<'_, String, TimeWindow, Firing>,
        counts: Vec<usize>,
    ) -> Result<()> {
        let w = *ctx.window();
        let count = counts.into_iter().sum();
        ctx.collect((key.clone(), w.start, w.end, count));
        Ok(())
    }
}

/// Which implementation a run exercises.
#[derive(Debug, Clone, Copy)]
enum Path {
    /// All records kept, a process function over them (the general operator).
    Full,
    /// An incremental aggregate on shared slices (the slicing operator), without a local
    /// pre-aggregation.
    Sliced,
    /// The same behind a local pre-aggregation before the exchange (the default), holding at
    /// most 4 partials so that the bound flushes too.
    SlicedLocal,
    /// An incremental aggregate per window (the general operator, slice sharing switched off).
    PerWindow,
}

/// Runs the job: windows from `assigner`, lateness in ms, through one implementation.
fn run_path<A>(input: &[(String, i64)], bound: i64, assigner: A, lateness: i64, path: Path) -> (Vec<Firing>, u64)
where
    A: weir_core::window::WindowAssigner<(String, i64), Window = TimeWindow> + 'static,
{
    let env = env(1);
    match path {
        Path::PerWindow => {
            env.set_config("weir.windows.slice-sharing", "false");
        }
        Path::Sliced => {
            env.set_config("weir.windows.local-aggregation", "false");
        }
        Path::SlicedLocal => {
            env.set_config("weir.windows.local-aggregation.max-entries", "4");
        }
        Path::Full => {}
    }
    let sink = CollectSink::new();
    let windows = keyed_events(&env, input.to_vec(), bound)
        .window(assigner)
        .allowed_lateness(Duration::from_millis(lateness as u64));
    match path {
        Path::Full => windows.process(CountWindow),
        Path::Sliced | Path::SlicedLocal | Path::PerWindow => windows.aggregate_with_process(CountAll, WithWindow),
    }
    .sink_to(sink.clone());
    let result = env.execute("property").expect("job runs");
    let dropped = result.operators.iter().map(|o| o.late_records_dropped).sum();
    let mut firings = sink.values();
    firings.sort();
    (firings, dropped)
}

/// The model of fixed (tumbling or sliding) windows with allowed lateness and the event-time
/// trigger: a window fires when the watermark reaches its end, and again for every record added
/// while the watermark is past its end but not past its end plus the lateness.
fn model_fixed(input: &[(String, i64)], bound: i64, size: i64, slide: i64, lateness: i64) -> (Vec<Firing>, u64) {
    let mut watermark = i64::MIN;
    let mut max_ts: Option<i64> = None;
    // (key, start) -> (count, fired)
    let mut windows: BTreeMap<(String, i64), (usize, bool)> = BTreeMap::new();
    let mut firings = Vec::new();
    let mut dropped = 0;
    let fire_due = |windows: &mut BTreeMap<(String, i64), (usize, bool)>, wm: i64, firings: &mut Vec<Firing>| {
        for ((key, start), (count, fired)) in windows.iter_mut() {
            if !*fired && start + size - 1 <= wm {
                *fired = true;
                firings.push((key.clone(), *start, start + size, *count));
            }
        }
        windows.retain(|(_, start), _| start + size - 1 + lateness > wm);
    };
    for (key, ts) in input {
        let last_start = ts - ts.rem_euclid(slide);
        // A record in a gap between windows (slide > size) is in none: ignored, not late.
        let mut accepted = last_start <= ts - size;
        let mut start = last_start;
        while start > ts - size {
            let max_ts = start + size - 1;
            if max_ts + lateness > watermark {
                accepted = true;
                let entry = windows.entry((key.clone(), start)).or_insert((0, false));
                entry.0 += 1;
                if max_ts <= watermark {
                    // Already fired once: the trigger fires again at once.
                    entry.1 = true;
                    firings.push((key.clone(), start, start + size, entry.0));
                }
            }
            start -= slide;
        }
        if !accepted {
            dropped += 1;
        }
        max_ts = Some(max_ts.map_or(*ts, |m: i64| m.max(*ts)));
        watermark = watermark.max(max_ts.unwrap_or(i64::MIN) - bound - 1);
        fire_due(&mut windows, watermark, &mut firings);
    }
    fire_due(&mut windows, i64::MAX - lateness, &mut firings);
    firings.sort();
    (firings, dropped)
}

/// The model of session windows (lateness 0): a record opens `[ts, ts + gap)`, merging with
/// every unfired session of its key it touches; a session fires once, when the watermark
/// reaches its end. A record whose session would be complete already is dropped.
fn model_sessions(input: &[(String, i64)], bound: i64, gap: i64) -> (Vec<Firing>, u64) {
    let mut watermark = i64::MIN;
    let mut max_ts: Option<i64> = None;
    let mut sessions: Vec<(String, i64, i64, usize)> = Vec::new();
    let mut firings = Vec::new();
    let mut dropped = 0;
    for (key, ts) in input {
        let (mut start, mut end, mut count) = (*ts, ts + gap, 1);
        let touching: Vec<usize> = (0..sessions.len())
            .filter(|&i| sessions[i].0 == *key && sessions[i].1 <= end && sessions[i].2 >= start)
            .collect();
        if touching.is_empty() && end - 1 <= watermark {
            dropped += 1;
        } else {
            for &i in touching.iter().rev() {
                let (_, s, e, c) = sessions.remove(i);
                start = start.min(s);
                end = end.max(e);
                count += c;
            }
            sessions.push((key.clone(), start, end, count));
        }
        max_ts = Some(max_ts.map_or(*ts, |m: i64| m.max(*ts)));
        watermark = watermark.max(max_ts.unwrap_or(i64::MIN) - bound - 1);
        let (due, live): (Vec<_>, Vec<_>) = sessions.into_iter().partition(|s| s.2 - 1 <= watermark);
        firings.extend(due);
        sessions = live;
    }
    firings.extend(sessions);
    firings.sort();
    (firings, dropped)
}

/// Timestamps on a 100 ms grid, so that window ends, watermarks and lateness bounds coincide
/// often: the boundaries are where an off-by-one would hide.
fn input_strategy() -> impl Strategy<Value = Vec<(String, i64)>> {
    prop::collection::vec((0u8..3, 0i64..60), 1..40)
        .prop_map(|v| v.into_iter().map(|(k, t)| (format!("k{k}"), t * 100)).collect())
}

fn bound_strategy() -> impl Strategy<Value = i64> {
    (0i64..20).prop_map(|b| b * 100)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, .. ProptestConfig::default() })]

    #[test]
    fn tumbling_windows_match_the_model(input in input_strategy(), bound in bound_strategy(), lateness in prop::sample::select(vec![0i64, 700])) {
        let model = model_fixed(&input, bound, 1_000, 1_000, lateness);
        for path in [Path::Full, Path::Sliced, Path::SlicedLocal, Path::PerWindow] {
            let assigner = TumblingWindows::event_time(Duration::from_secs(1)).expect("valid");
            prop_assert_eq!(&run_path(&input, bound, assigner, lateness, path), &model, "{:?}", path);
        }
    }

    #[test]
    fn sliding_windows_match_the_model(
        input in input_strategy(),
        bound in bound_strategy(),
        lateness in prop::sample::select(vec![0i64, 700]),
        (size, slide) in prop::sample::select(vec![
            (1_500i64, 500i64), (1_000, 400), (600, 600),
            // Slides that do not divide the size (as `--slide 167` of 10 s): slices cut at window
            // starts and ends; and a gap between windows.
            (1_000, 300), (1_000, 170), (700, 300), (300, 700),
        ]),
    ) {
        let model = model_fixed(&input, bound, size, slide, lateness);
        for path in [Path::Full, Path::Sliced, Path::SlicedLocal, Path::PerWindow] {
            let assigner = SlidingWindows::event_time(Duration::from_millis(size as u64), Duration::from_millis(slide as u64)).expect("valid");
            prop_assert_eq!(&run_path(&input, bound, assigner, lateness, path), &model, "{:?}", path);
        }
    }

    #[test]
    fn session_windows_match_the_model(input in input_strategy(), bound in bound_strategy(), gap in (1i64..8).prop_map(|g| g * 100)) {
        let model = model_sessions(&input, bound, gap);
        for path in [Path::Full, Path::PerWindow] {
            let assigner = SessionWindows::event_time(Duration::from_millis(gap as u64)).expect("valid");
            prop_assert_eq!(&run_path(&input, bound, assigner, 0, path), &model, "{:?}", path);
        }
    }
}
