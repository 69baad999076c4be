//! `ProcessWindowFunction`: the function that sees a whole window when it fires, and the
//! [`WindowContext`] it gets: the window, the current watermark and processing time, per-window
//! and per-key state (`api::window_state`), and where to emit.

use super::output_tag::OutputTag;
use super::window_state::{GlobalState, PerWindowState};
use crate::operators::window::window_state::WindowStateRegistry;
use weir_core::window::Window;
use weir_core::{Key, Output, Record, Result, Timestamp, Watermark};
use weir_state::KeyedStateBackend;

/// What a window function knows and where it emits. Records it emits carry the window's last
/// timestamp (`window.max_timestamp()`), as in Flink.
///
/// State: [`window_state`](Self::window_state) is scoped to the current key and this window,
/// and goes away when the window is cleaned up; [`global_state`](Self::global_state) is the
/// key's state across its windows.
///
/// ```no_run
/// use std::time::Duration;
/// use weir_runtime::prelude::*;
///
/// /// Emits (key, the window's count, its firing number, the key's count over all windows).
/// #[derive(Clone)]
/// struct Firings {
///     /// Per window: how often it fired and the count it reported last.
///     fired: ValueStateDescriptor<(u32, u64)>,
///     /// Per key: records over all its windows.
///     total: ValueStateDescriptor<u64>,
/// }
///
/// impl ProcessWindowFunction<String, u64, (String, u64, u32, u64), TimeWindow> for Firings {
///     fn process(
///         &mut self,
///         key: &String,
///         ctx: &mut WindowContext<'_, String, TimeWindow, (String, u64, u32, u64)>,
///         counts: Vec<u64>,
///     ) -> Result<()> {
///         let count: u64 = counts.iter().sum();
///         // A late record re-fires the window: firings 1, 2, ... of the same window.
///         let mut window = ctx.window_state().value(&self.fired)?;
///         let (fired, reported) = window.get().copied().unwrap_or((0, 0));
///         window.update((fired + 1, count));
///         // A re-firing adds only what is new since the window's last report.
///         let mut total = ctx.global_state().value(&self.total)?;
///         let sum = total.get().copied().unwrap_or(0) + count - reported;
///         total.update(sum);
///         ctx.collect((key.clone(), count, fired + 1, sum));
///         Ok(())
///     }
/// }
///
/// let env = StreamExecutionEnvironment::new();
/// env.from_collection(vec![("a".to_string(), 1i64), ("a".to_string(), 1_500)])
///     .assign_timestamps_and_watermarks(
///         WatermarkStrategy::for_monotonous_timestamps().with_timestamp_assigner(|e: &(String, i64), _| e.1),
///     )
///     .key_by(|e: &(String, i64)| e.0.clone())
///     .window(TumblingWindows::event_time(Duration::from_secs(1))?)
///     .allowed_lateness(Duration::from_secs(5))
///     .aggregate_with_process(CountAggregate, Firings {
///         fired: ValueStateDescriptor::new("fired"),
///         total: ValueStateDescriptor::new("total"),
///     })
///     .print();
/// # #[derive(Clone)] struct CountAggregate;
/// # impl AggregateFunction<(String, i64), u64, u64> for CountAggregate {
/// #     fn create_accumulator(&self) -> u64 { 0 }
/// #     fn add(&self, acc: &mut u64, _: &(String, i64)) { *acc += 1 }
/// #     fn merge(&self, acc: &mut u64, other: &u64) { *acc += other }
/// #     fn get_result(&self, acc: &u64) -> u64 { *acc }
/// # }
/// env.execute("firings")?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct WindowContext<'a, K, W, O> {
    pub(crate) window: &'a W,
    pub(crate) watermark: Watermark,
    pub(crate) processing_time: Timestamp,
    pub(crate) out: &'a mut Output<O>,
    /// The operator's keyed state, scoped to the current key.
    pub(crate) state: &'a mut KeyedStateBackend<K>,
    pub(crate) window_state: &'a mut WindowStateRegistry<K, W>,
}

impl<K: Key, W: Window, O> WindowContext<'_, K, W, O> {
    /// The window that fired (or, in `clear`, is being cleaned up).
    pub fn window(&self) -> &W {
        self.window
    }

    /// The operator's current watermark.
    pub fn current_watermark(&self) -> Watermark {
        self.watermark
    }

    /// The operator's current processing time.
    pub fn current_processing_time(&self) -> Timestamp {
        self.processing_time
    }

    /// State of the current key and this window (Flink's `windowState()`): kept across the
    /// window's firings (early, on time, late) and dropped when the window is cleaned up, at
    /// its end plus the allowed lateness. Not available with merging (session) windows.
    pub fn window_state(&mut self) -> PerWindowState<'_, K, W> {
        PerWindowState { backend: &mut *self.state, registry: &mut *self.window_state, window: self.window }
    }

    /// State of the current key across all its windows (Flink's `globalState()`): plain keyed
    /// state of the window operator.
    pub fn global_state(&mut self) -> GlobalState<'_, K> {
        GlobalState { backend: &mut *self.state }
    }

    /// Emits a result of the window.
    pub fn collect(&mut self, value: O) {
        self.out.collect_with_timestamp(value, self.window.max_timestamp());
    }

    /// Emits to a side output.
    pub fn output<S: Send + 'static>(&mut self, tag: &OutputTag<S>, value: S) {
        self.out.emit_side(tag.key(), Record::with_timestamp(value, self.window.max_timestamp()));
    }
}

/// A function over all elements of a window (or over the one pre-aggregated result, when
/// combined with `reduce`/`aggregate`), called each time the window fires.
pub trait ProcessWindowFunction<K, IN, OUT, W>: Send + Sync + Clone + 'static {
    fn process(&mut self, key: &K, ctx: &mut WindowContext<'_, K, W, OUT>, elements: Vec<IN>) -> Result<()>;

    /// The window is being cleaned up (at its end plus the allowed lateness; Flink's `clear`):
    /// its contents are gone, its per-window state is still there, for the last time. After
    /// this returns, weir drops the window's per-window state itself, so there is nothing to
    /// clear unless other state refers to the window. Called once per window that held
    /// records, on every path (`process`, `reduce`/`aggregate` with a process function, the
    /// slice-sharing path). What it emits carries the window's last timestamp, which the
    /// watermark has passed by then. Windows that never end (global windows) are never
    /// cleaned up.
    fn clear(&mut self, _key: &K, _ctx: &mut WindowContext<'_, K, W, OUT>) -> Result<()> {
        Ok(())
    }
}
