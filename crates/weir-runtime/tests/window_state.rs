//! Per-window and global state of window functions, checked by hand (issue 3, item 4): a window
//! with allowed lateness re-fires and counts its firings in per-window state; a running total
//! per key across windows lives in global state; `clear` runs once per window at its cleanup,
//! with the per-window state still there. The same results on the general window operator (all
//! records kept, or an accumulator per window) and on the slice-sharing path. Sessions: global
//! state and `clear` work, per-window state is refused.

mod common;

use common::{env, events, keyed_events};
use std::time::Duration;
use weir_runtime::prelude::*;
use weir_testkit::CollectSink;

/// Reports each firing as `key [start, end) n=<count> fire=<firing of this window>
/// total=<records of the key over all its windows>`, and each cleanup as `key [start, end)
/// cleared after <firings>`. The total adds only what a re-firing brings that the window's last
/// report did not have, so it counts every record once.
#[derive(Clone)]
struct Firings {
    /// Per window: (firings, count reported last).
    fired: ValueStateDescriptor<(u32, u64)>,
    /// Per key.
    total: ValueStateDescriptor<u64>,
}

impl Firings {
    fn new() -> Self {
        Firings { fired: ValueStateDescriptor::new("fired"), total: ValueStateDescriptor::new("total") }
    }

    fn report(&self, key: &str, ctx: &mut WindowContext<'_, String, TimeWindow, String>, count: u64) -> Result<()> {
        let w = *ctx.window();
        let mut fired = ctx.window_state().value(&self.fired)?;
        let (firings, reported) = fired.get().copied().unwrap_or((0, 0));
        fired.update((firings + 1, count));
        let mut total = ctx.global_state().value(&self.total)?;
        let sum = total.get().copied().unwrap_or(0) + count - reported;
        total.update(sum);
        ctx.collect(format!("{key} [{}, {}) n={count} fire={} total={sum}", w.start, w.end, firings + 1));
        Ok(())
    }

    fn cleared(&self, key: &str, ctx: &mut WindowContext<'_, String, TimeWindow, String>) -> Result<()> {
        let w = *ctx.window();
        let firings = ctx.window_state().value(&self.fired)?.get().map_or(0, |(n, _)| *n);
        ctx.collect(format!("{key} [{}, {}) cleared after {firings}", w.start, w.end));
        Ok(())
    }
}

/// Over all records of the window (the general operator).
impl ProcessWindowFunction<String, (String, i64), String, TimeWindow> for Firings {
    fn process(
        &mut self,
        key: &String,
        ctx: &mut WindowContext<'_, String, TimeWindow, String>,
        elements: Vec<(String, i64)>,
    ) -> Result<()> {
        self.report(key, ctx, elements.len() as u64)
    }

    fn clear(&mut self, key: &String, ctx: &mut WindowContext<'_, String, TimeWindow, String>) -> Result<()> {
        self.cleared(key, ctx)
    }
}

/// Over a pre-aggregated count (the slice-sharing path, or an accumulator per window).
impl ProcessWindowFunction<String, u64, String, TimeWindow> for Firings {
    fn process(
        &mut self,
        key: &String,
        ctx: &mut WindowContext<'_, String, TimeWindow, String>,
        counts: Vec<u64>,
    ) -> Result<()> {
        self.report(key, ctx, counts.iter().sum())
    }

    fn clear(&mut self, key: &String, ctx: &mut WindowContext<'_, String, TimeWindow, String>) -> Result<()> {
        self.cleared(key, ctx)
    }
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

/// Which implementation a run exercises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Path {
    /// All records kept, `process` (the general operator).
    Full,
    /// `aggregate_with_process` on shared slices (the slicing operator).
    Sliced,
    /// `aggregate_with_process` with an accumulator per window (the general operator).
    PerWindow,
}

const PATHS: [Path; 3] = [Path::Full, Path::Sliced, Path::PerWindow];

/// Runs `input` (watermark trailing by 0) through windows of `assigner` with `lateness` and
/// [`Firings`] on `path`; returns the output in order and the late records dropped.
fn run<A>(input: &[(&str, i64)], assigner: A, lateness: Duration, path: Path) -> (Vec<String>, u64)
where
    A: weir_core::window::WindowAssigner<(String, i64), Window = TimeWindow> + 'static,
{
    let env = env(1);
    if path == Path::PerWindow {
        env.set_config("weir.windows.slice-sharing", "false");
    }
    let windows = keyed_events(&env, events(input), 0).window(assigner).allowed_lateness(lateness);
    let out = match path {
        Path::Full => windows.process(Firings::new()),
        Path::Sliced | Path::PerWindow => windows.aggregate_with_process(Count, Firings::new()),
    };
    let sink = CollectSink::new();
    out.sink_to(sink.clone());
    let plan = env.explain().expect("valid").to_string();
    assert_eq!(plan.contains("sliced"), path == Path::Sliced, "{path:?} takes its path: {plan}");
    let result = env.execute("window state").expect("job runs");
    let dropped = result.operators.iter().map(|o| o.late_records_dropped).sum();
    (sink.values(), dropped)
}

#[test]
fn a_window_counts_its_firings_and_a_key_totals_its_windows() {
    // Tumbling 1 s, lateness 800 ms: [0, 1000) is cleaned up at 1799. a@1500 moves the
    // watermark to 1499: [0, 1000) fires for a and b. a@300 and a@400 are late but within the
    // lateness: it re-fires twice (firings 2 and 3), the total counting each record once.
    // a@2600 (watermark 2599) passes 1799, where both [0, 1000) are cleaned up (`clear` sees 3
    // and 1 firings), and 1999, where a's [1000, 2000) fires. a@500 is then too late: dropped.
    // The final watermark fires and cleans up the rest, in time order.
    let input = [("a", 100), ("b", 200), ("a", 1_500), ("a", 300), ("a", 400), ("a", 2_600), ("a", 500), ("b", 2_700)];
    let want = [
        "a [0, 1000) n=1 fire=1 total=1",
        "b [0, 1000) n=1 fire=1 total=1",
        "a [0, 1000) n=2 fire=2 total=2",
        "a [0, 1000) n=3 fire=3 total=3",
        "a [0, 1000) cleared after 3",
        "b [0, 1000) cleared after 1",
        "a [1000, 2000) n=1 fire=1 total=4",
        "a [1000, 2000) cleared after 1",
        "a [2000, 3000) n=1 fire=1 total=5",
        "b [2000, 3000) n=1 fire=1 total=2",
        "a [2000, 3000) cleared after 1",
        "b [2000, 3000) cleared after 1",
    ];
    for path in PATHS {
        let tumbling = TumblingWindows::event_time(Duration::from_secs(1)).expect("valid");
        let (got, dropped) = run(&input, tumbling, Duration::from_millis(800), path);
        assert_eq!(got, want, "{path:?}");
        assert_eq!(dropped, 1, "{path:?}: a@500");
    }
}

#[test]
fn without_lateness_each_window_fires_once_and_is_cleared_at_its_end() {
    let input = [("a", 100), ("a", 900), ("a", 1_200), ("a", 3_000)];
    let want = [
        "a [0, 1000) n=2 fire=1 total=2",
        "a [0, 1000) cleared after 1",
        "a [1000, 2000) n=1 fire=1 total=3",
        "a [1000, 2000) cleared after 1",
        "a [3000, 4000) n=1 fire=1 total=4",
        "a [3000, 4000) cleared after 1",
    ];
    for path in PATHS {
        let tumbling = TumblingWindows::event_time(Duration::from_secs(1)).expect("valid");
        let (got, _) = run(&input, tumbling, Duration::ZERO, path);
        assert_eq!(got, want, "{path:?}");
    }
}

#[test]
fn overlapping_sliding_windows_each_have_their_own_state() {
    // Size 2 s, slide 1 s, lateness 500 ms. a@1500 is in [0, 2000) and [1000, 3000); a@2100
    // (watermark 2099) fires [0, 2000); a@1800 is late for it but within the lateness: it
    // re-fires (firing 2) and also lands in [1000, 3000), which has not fired. [0, 2000) is
    // cleaned up at 2499, on the final watermark, before [1000, 3000) fires at 2999. The total
    // sums what the windows counted: a record counts once per window it is in.
    let input = [("a", 1_500), ("a", 2_100), ("a", 1_800)];
    let want = [
        "a [0, 2000) n=1 fire=1 total=1",
        "a [0, 2000) n=2 fire=2 total=2",
        "a [0, 2000) cleared after 2",
        "a [1000, 3000) n=3 fire=1 total=5",
        "a [1000, 3000) cleared after 1",
        "a [2000, 4000) n=1 fire=1 total=6",
        "a [2000, 4000) cleared after 1",
    ];
    for path in PATHS {
        let sliding = SlidingWindows::event_time(Duration::from_secs(2), Duration::from_secs(1)).expect("valid");
        let (got, _) = run(&input, sliding, Duration::from_millis(500), path);
        assert_eq!(got, want, "{path:?}");
    }
}

/// Session windows: counts sessions per key in global state and reports each at cleanup.
#[derive(Clone)]
struct Sessions {
    seen: ValueStateDescriptor<u32>,
    per_window: Option<ValueStateDescriptor<u32>>,
}

impl ProcessWindowFunction<String, (String, i64), String, TimeWindow> for Sessions {
    fn process(
        &mut self,
        key: &String,
        ctx: &mut WindowContext<'_, String, TimeWindow, String>,
        elements: Vec<(String, i64)>,
    ) -> Result<()> {
        if let Some(per_window) = &self.per_window {
            ctx.window_state().value(per_window)?.update(1);
        }
        let mut seen = ctx.global_state().value(&self.seen)?;
        let n = seen.get().copied().unwrap_or(0) + 1;
        seen.update(n);
        let w = *ctx.window();
        ctx.collect(format!("{key} session {n} [{}, {}) of {}", w.start, w.end, elements.len()));
        Ok(())
    }

    fn clear(&mut self, key: &String, ctx: &mut WindowContext<'_, String, TimeWindow, String>) -> Result<()> {
        let w = *ctx.window();
        ctx.collect(format!("{key} [{}, {}) cleared", w.start, w.end));
        Ok(())
    }
}

#[test]
fn sessions_have_global_state_and_clear_but_no_per_window_state() {
    let env = env(1);
    // Gap 10: a@1 and a@5 form [1, 15), which a@13 extends to [1, 23); a@40 starts another.
    let out = keyed_events(&env, events(&[("a", 1), ("a", 5), ("a", 13), ("a", 40)]), 0)
        .window(SessionWindows::event_time(Duration::from_millis(10)).expect("valid"))
        .process(Sessions { seen: ValueStateDescriptor::new("seen"), per_window: None });
    let sink = CollectSink::new();
    out.sink_to(sink.clone());
    env.execute("sessions").expect("job runs");
    assert_eq!(
        sink.values(),
        ["a session 1 [1, 23) of 3", "a [1, 23) cleared", "a session 2 [40, 50) of 1", "a [40, 50) cleared"]
    );

    let env = common::env(1);
    keyed_events(&env, events(&[("a", 1)]), 0)
        .window(SessionWindows::event_time(Duration::from_millis(10)).expect("valid"))
        .process(Sessions {
            seen: ValueStateDescriptor::new("seen"),
            per_window: Some(ValueStateDescriptor::new("fired")),
        })
        .sink_to(CollectSink::new());
    let error = env.execute("sessions with per-window state").expect_err("refused").to_string();
    assert!(error.contains("per-window state 'fired'") && error.contains("session"), "{error}");
}

/// Uses a global state under a name of the window operator's own.
#[derive(Clone)]
struct Trespasser;

impl ProcessWindowFunction<String, (String, i64), String, TimeWindow> for Trespasser {
    fn process(
        &mut self,
        _key: &String,
        ctx: &mut WindowContext<'_, String, TimeWindow, String>,
        _elements: Vec<(String, i64)>,
    ) -> Result<()> {
        ctx.global_state().value(&ValueStateDescriptor::<u64>::new("window-contents"))?.update(1);
        Ok(())
    }
}

#[test]
fn global_state_cannot_take_a_name_of_the_window_operators_own() {
    let env = env(1);
    keyed_events(&env, events(&[("a", 1)]), 0)
        .window(TumblingWindows::event_time(Duration::from_secs(1)).expect("valid"))
        .process(Trespasser)
        .sink_to(CollectSink::new());
    let error = env.execute("trespass").expect_err("refused").to_string();
    assert!(error.contains("'window-contents'") && error.contains("window-"), "{error}");
}
