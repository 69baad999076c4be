//! The slice-sharing window operator: tumbling and sliding event-time windows with an
//! incremental aggregate and the default trigger (issue 3, item 7).
//!
//! Each record is added to **one** slice accumulator of its key (slices are cut at every window
//! start and end, at most two per slide, `weir_core::window::slicing`), whatever `size / slide`
//! is and whether or not the slide divides the size. Timers are chained as in Flink's
//! slice-shared processor: a new slice asks for a timer at the end of the first window holding
//! it; when a window fires, its result combines O(1) cached partial aggregates of its slices
//! (a Two-Stacks aggregate per key, amortized), and the key's next window that holds any slice
//! gets the next timer. A firing scopes the key once for the result, the next timer and the
//! cleanup. Allowed lateness keeps slices
//! until `end - 1 + lateness`; a late record within it re-fires its already fired windows at once,
//! as the event-time trigger does; a record later than that goes to the late side output or is
//! dropped and counted. Results are identical to the general window operator's (tested).
//!
//! A restored operator has no watermark until the first one arrives (as in Flink), so it cannot
//! tell which windows fired before the snapshot: until then, a record asks for a timer of every
//! window of its slice (a fresh operator needs not: nothing fired yet), and a late one re-fires its windows at that first watermark, as
//! the general operator's trigger does; a window re-firing from such a timer (its cleanup timer
//! is set already) does not chain on. Like the general operator, it cannot tell then that a
//! record is later than the lateness.
//!
//! The process function gets the same context as on the general operator: per-window state
//! (scoped to the window being emitted, not to a slice), global state, and `clear` when a window
//! is cleaned up at `end - 1 + lateness` — once per window that fired — after which its
//! per-window state is dropped. So per-window state needs no fallback to the general operator,
//! and a function that never touches state costs nothing more.
//!
//! It is **not** used with custom triggers, evictors, processing time or sessions: those take the
//! general operator.

use super::window_state::WindowStateRegistry;
use crate::api::window_function::{ProcessWindowFunction, WindowContext};
use crate::operators::keyed::KeySelector;
use crate::operators::keyed_snapshot;
use crate::timers::InternalTimerService;
use std::any::Any;
use std::marker::PhantomData;
use std::sync::Arc;
use weir_core::clock::Clock;
use weir_core::key_group::assign_key_group;
use weir_core::operator::{OneInputOperator, OperatorContext, OperatorCounters};
use weir_core::record::Batch;
use weir_core::snapshot::{CheckpointInfo, StateSnapshot};
use weir_core::time::TimeDomain;
use weir_core::window::assigner::missing_timestamp;
use weir_core::window::{
    AggregateFunction, SliceAccumulators, SliceAggregator, SlicePosition, Slicing, TimeWindow, Window,
};
use weir_core::{Data, Error, Key, KeyGroup, Output, Result, Timestamp, Watermark};
use weir_state::{KeyedStateBackend, ValueStateDescriptor};

/// Lets a shared aggregate serve a `SliceAggregator`, which owns its function.
pub(crate) struct SharedAggregate<A>(pub(crate) Arc<A>);

impl<IN, ACC, OUT, A: AggregateFunction<IN, ACC, OUT>> AggregateFunction<IN, ACC, OUT> for SharedAggregate<A> {
    fn create_accumulator(&self) -> ACC {
        self.0.create_accumulator()
    }
    fn add(&self, accumulator: &mut ACC, value: &IN) {
        self.0.add(accumulator, value);
    }
    fn merge(&self, accumulator: &mut ACC, other: &ACC) {
        self.0.merge(accumulator, other);
    }
    fn get_result(&self, accumulator: &ACC) -> OUT {
        self.0.get_result(accumulator)
    }
}

pub(crate) struct SlicingWindowOperator<K, T, W, ACC, R, O, A, P> {
    key_selector: KeySelector<T, K>,
    aggregator: SliceAggregator<T, ACC, R, SharedAggregate<A>>,
    process: P,
    allowed_lateness: i64,
    late_tag: Option<String>,
    state: Option<KeyedStateBackend<K>>,
    slices: ValueStateDescriptor<SliceAccumulators<ACC>>,
    /// The function's per-window state.
    window_state: WindowStateRegistry<K, W>,
    /// Timers namespaced by window end.
    timers: InternalTimerService<K, i64>,
    clock: Option<Arc<dyn Clock>>,
    /// Read once per batch or watermark, not per record or firing.
    processing_time: Timestamp,
    /// Started from a snapshot: until the first watermark, windows may have fired before.
    restored: bool,
    /// Every window firing from a timer arms the next (`arm_next`). Not so only in an operator
    /// restored with allowed lateness, where a window that fired before the snapshot may fire
    /// again without chaining on; a new slice then always asks for its own timer.
    firings_chain: bool,
    counters: Arc<OperatorCounters>,
    max_parallelism: usize,
    range: weir_core::KeyGroupRange,
    /// The batch being processed, looked at ahead (`process_batch`); kept for its buffer.
    ahead: Vec<Ahead<K>>,
    _types: PhantomData<fn() -> (W, O)>,
}

impl<K, T, W, ACC, R, O, A, P> SlicingWindowOperator<K, T, W, ACC, R, O, A, P>
where
    K: Key,
    T: Send + 'static,
    W: Window,
    ACC: Data,
    R: 'static,
    O: Send + 'static,
    A: AggregateFunction<T, ACC, R> + 'static,
    P: ProcessWindowFunction<K, R, O, W>,
{
    pub(crate) fn new(
        key_selector: KeySelector<T, K>,
        slicing: Slicing,
        aggregate: Arc<A>,
        process: P,
        allowed_lateness: i64,
        late_tag: Option<String>,
    ) -> Self {
        SlicingWindowOperator {
            key_selector,
            aggregator: SliceAggregator::new(slicing, SharedAggregate(aggregate)),
            process,
            allowed_lateness,
            late_tag,
            state: None,
            slices: ValueStateDescriptor::new("window-slices"),
            window_state: WindowStateRegistry::new(TimeDomain::EventTime, allowed_lateness, false),
            timers: InternalTimerService::default(),
            clock: None,
            processing_time: 0,
            restored: false,
            firings_chain: true,
            counters: Arc::default(),
            max_parallelism: 0,
            range: weir_core::KeyGroupRange { start: 0, end: 0 },
            ahead: Vec::new(),
            _types: PhantomData,
        }
    }

    /// The keyed state, once started (for tests).
    #[cfg(test)]
    pub(super) fn keyed_state(&mut self) -> Option<&mut KeyedStateBackend<K>> {
        self.state.as_mut()
    }

    fn set_key(&mut self, key: K) -> Result<&mut KeyedStateBackend<K>> {
        scope(&mut self.state, self.max_parallelism, key)
    }

    /// Emits the result of the window ending at `end` for the current key (set by the caller),
    /// if it has records; false if it has none. Windows fired in order of their end combine
    /// cached partial aggregates ([`SliceAggregator::fire_window`]).
    fn emit(&mut self, key: &K, end: Timestamp, out: &mut Output<O>) -> Result<bool> {
        let slicing = *self.aggregator.slicing();
        let state =
            self.state.as_mut().ok_or_else(|| Error::Internal("window operator used before on_start".into()))?;
        let mut value = state.value(&self.slices)?;
        let Some(result) = value.get_mut().and_then(|slices| self.aggregator.fire_window(slices, end)) else {
            return Ok(false);
        };
        let window: W = as_window(slicing.window_ending_at(end))?;
        let mut ctx = WindowContext {
            window: &window,
            watermark: self.timers.watermark,
            processing_time: self.processing_time,
            out,
            state,
            window_state: &mut self.window_state,
        };
        self.process.process(key, &mut ctx, vec![result])?;
        Ok(true)
    }

    /// The window ending at `end` is cleaned up: the function's `clear` for the current key,
    /// then the window's per-window state goes.
    fn clear_window(&mut self, key: &K, end: Timestamp, out: &mut Output<O>) -> Result<()> {
        let window: W = as_window(self.aggregator.slicing().window_ending_at(end))?;
        let state =
            self.state.as_mut().ok_or_else(|| Error::Internal("window operator used before on_start".into()))?;
        let mut ctx = WindowContext {
            window: &window,
            watermark: self.timers.watermark,
            processing_time: self.processing_time,
            out,
            state,
            window_state: &mut self.window_state,
        };
        self.process.clear(key, &mut ctx)?;
        self.window_state.clear_window(state, &window)
    }

    /// Fires or cleans up the window ending at `end` for `key`; returns the end of the key's next
    /// window if it is due at this watermark too and fires right away ([`arm_next`](Self::arm_next)).
    fn on_timer(&mut self, time: Timestamp, key: K, end: Timestamp, out: &mut Output<O>) -> Result<Option<Timestamp>> {
        // One key-group hash and scope per timer: everything below works on this key.
        self.set_key(key.clone())?;
        let fires = time == end - 1;
        if fires && self.fires_ahead() && self.fired_already(end)? {
            // A timer of a window the key's chain fired ahead of it (a new slice's own timer).
            return Ok(None);
        }
        self.on_scoped_timer(time, key, end, out)
    }

    /// [`on_timer`](Self::on_timer) with the state scoped to `key` already: also the window a
    /// firing of the same key fires right away (not fired yet: it follows the one that did).
    fn on_scoped_timer(
        &mut self,
        time: Timestamp,
        key: K,
        end: Timestamp,
        out: &mut Output<O>,
    ) -> Result<Option<Timestamp>> {
        let fires = time == end - 1;
        let cleans_up = time == (end - 1).saturating_add(self.allowed_lateness);
        let fired = fires && self.emit(&key, end, out)?;
        if cleans_up {
            // A cleanup timer after the end is only set once the window fired; at the end
            // itself (no lateness), the window is cleaned up if it fired just now. Before the
            // next timer is armed: the slices left then start at the next window.
            if fired || !fires {
                self.clear_window(&key, end, out)?;
            }
            let next_start = self.aggregator.slicing().next_window_start(end);
            let state =
                self.state.as_mut().ok_or_else(|| Error::Internal("window operator used before on_start".into()))?;
            let mut value = state.value(&self.slices)?;
            let empty = match value.get_mut() {
                Some(slices) => {
                    slices.retire_before(next_start);
                    slices.is_empty()
                }
                None => false,
            };
            if empty {
                value.clear();
            }
        }
        if fires {
            let cleanup = (end - 1).saturating_add(self.allowed_lateness);
            let cleanup_timer = self.allowed_lateness > 0 && cleanup != i64::MAX;
            // Only after a restore does a window fire from a timer again (see `process_batch`):
            // its cleanup timer is set already, and its first firing chained on to the next.
            let refiring = cleanup_timer && self.timers.event_time.contains(cleanup, &key, &end)?;
            let next = if refiring { None } else { self.arm_next(&key, end)? };
            if cleanup_timer {
                self.timers.event_time.register(cleanup, key.clone(), end)?;
            }
            return Ok(next);
        }
        Ok(None)
    }

    /// Starts loading the slice the record `ahead` goes to, if its key has state already: at small
    /// slides that slice is a cache miss, and loads asked for ahead overlap, where loads made by
    /// the records one by one wait one after the other.
    #[inline]
    fn prefetch(&self, ahead: &Ahead<K>) {
        let (Some(state), Some(position)) = (&self.state, &ahead.position) else { return };
        if let Some(slices) = state.peek_value(&self.slices, &ahead.key, ahead.group) {
            slices.prefetch_slice(position.slice_number);
        }
    }

    /// Whether the window ending at `end` fired already for the current key, ahead of its timer.
    fn fired_already(&mut self, end: Timestamp) -> Result<bool> {
        let state =
            self.state.as_mut().ok_or_else(|| Error::Internal("window operator used before on_start".into()))?;
        Ok(state.value(&self.slices)?.get().is_some_and(|slices| slices.fired_through() >= end))
    }
}

impl<K, T, W, ACC, R, O, A, P> SlicingWindowOperator<K, T, W, ACC, R, O, A, P>
where
    K: Key,
    ACC: Data,
    A: AggregateFunction<T, ACC, R>,
{
    /// Whether a window's firing fires the key's next window at once when it is due at the same
    /// watermark, instead of arming its timer: a watermark that passes several window ends then
    /// loads each key's state once for all of them, not once per window (at 10 s windows every
    /// 167 ms, a key fires five or more windows per watermark). Only so with chained timers and
    /// no allowed lateness, where a window fires once, at its end, and is cleaned up then. The
    /// windows fire in order per key; across keys the order of results changes (key by key
    /// instead of window by window), which no watermark can tell apart. A new slice's own timer
    /// for a window fired this way finds it fired ([`SliceAccumulators::fired_through`]).
    fn fires_ahead(&self) -> bool {
        self.firings_chain && self.allowed_lateness == 0
    }

    /// After the window ending at `end` fired for the current key: if the key's next window holds
    /// a slice, its end to fire right away (due at this watermark, see
    /// [`fires_ahead`](Self::fires_ahead)), or else a timer for it.
    fn arm_next(&mut self, key: &K, end: Timestamp) -> Result<Option<Timestamp>> {
        let slicing = *self.aggregator.slicing();
        let next_end = end + slicing.slide();
        let next_start = slicing.next_window_start(end);
        let state =
            self.state.as_mut().ok_or_else(|| Error::Internal("window operator used before on_start".into()))?;
        let holds = state
            .value(&self.slices)?
            .get()
            .and_then(|slices| slices.first_slice_from(next_start))
            .is_some_and(|start| start < next_end);
        if !holds {
            return Ok(None);
        }
        if self.fires_ahead() && next_end - 1 <= self.timers.watermark.0 {
            return Ok(Some(next_end));
        }
        self.timers.event_time.register(next_end - 1, key.clone(), next_end)?;
        Ok(None)
    }
}

/// Whether the window ending at `end` (not fired yet) will fire without a timer of its own for
/// a new slice whose predecessor among the key's slices starts at `previous`: every unfired
/// window holding a slice fires, and a firing arms the next window if it holds a slice (when
/// firings chain, see `firings_chain`). So it will if the predecessor is in that window, or
/// in the window before it and that one has not fired yet.
fn reached_by_chain(slicing: &Slicing, end: Timestamp, previous: Option<Timestamp>, watermark: Timestamp) -> bool {
    let Some(previous) = previous else { return false };
    let start = end - slicing.size();
    previous >= start || (previous >= start - slicing.slide() && end - slicing.slide() - 1 > watermark)
}

/// Scopes keyed state to `key` (a free function, so callers keep their other fields).
fn scope<K: Key>(
    state: &mut Option<KeyedStateBackend<K>>,
    max_parallelism: usize,
    key: K,
) -> Result<&mut KeyedStateBackend<K>> {
    let group = assign_key_group(&key, max_parallelism)?;
    scope_in(state, key, group)
}

/// [`scope`] with the key's group known already.
fn scope_in<K: Key>(
    state: &mut Option<KeyedStateBackend<K>>,
    key: K,
    group: KeyGroup,
) -> Result<&mut KeyedStateBackend<K>> {
    let state = state.as_mut().ok_or_else(|| Error::Internal("window operator used before on_start".into()))?;
    state.set_current_key(key, group)?;
    Ok(state)
}

/// What `process_batch` works out for each record of a batch before it adds any: the record's
/// key, key group and slice, so that it can ask for the slices of the records it adds next
/// ([`SlicingWindowOperator::prefetch`], [`LOOK_AHEAD`]).
struct Ahead<K> {
    key: K,
    group: KeyGroup,
    /// `None` when the record has no timestamp or one out of range (the record then fails).
    position: Option<SlicePosition>,
}

/// `process_batch` prefetches slices this many records at a time, every this many records: the
/// slices of the records `LOOK_AHEAD` to `2·LOOK_AHEAD` places on. Within a group the lookups
/// do not depend on each other, so their misses overlap (finding a record's slice reads its key's
/// entry in the state table, often a miss too); a lookup each record, 8 ahead, was slower
/// (BENCHMARKS.md, "Sliding windows: cheaper record path").
const LOOK_AHEAD: usize = 16;

/// The window as the operator's window type (always `TimeWindow`), without boxing it: this runs
/// for every firing and cleanup.
fn as_window<W: Clone + 'static>(window: TimeWindow) -> Result<W> {
    (&window as &dyn Any)
        .downcast_ref::<W>()
        .cloned()
        .ok_or_else(|| Error::Internal("sliced windows are TimeWindows".into()))
}

impl<K, T, W, ACC, R, O, A, P> OneInputOperator<T, O> for SlicingWindowOperator<K, T, W, ACC, R, O, A, P>
where
    K: Key,
    T: Send + 'static,
    W: Window,
    ACC: Data,
    R: 'static,
    O: Send + 'static,
    A: AggregateFunction<T, ACC, R> + 'static,
    P: ProcessWindowFunction<K, R, O, W>,
{
    fn on_start(&mut self, ctx: &OperatorContext) -> Result<()> {
        self.max_parallelism = ctx.max_parallelism;
        self.range = ctx.key_group_range;
        self.state = Some(keyed_snapshot::start(ctx, &mut self.timers)?);
        self.restored = ctx.restored.is_some();
        self.firings_chain = !self.restored || self.allowed_lateness == 0;
        self.clock = Some(Arc::clone(&ctx.clock));
        self.counters = Arc::clone(&ctx.counters);
        Ok(())
    }

    /// Window contents, trigger state and timers are keyed state: one snapshot.
    fn snapshot_state(&mut self, checkpoint: &CheckpointInfo, _out: &mut Output<O>) -> Result<Option<StateSnapshot>> {
        keyed_snapshot::snapshot(self.state.as_mut(), &mut self.timers, self.range, checkpoint)
    }

    fn notify_checkpoint_complete(&mut self, id: u64) -> Result<()> {
        if let Some(state) = &mut self.state {
            state.notify_checkpoint_complete(id);
        }
        Ok(())
    }

    fn process_batch(&mut self, batch: Batch<T>, out: &mut Output<O>) -> Result<()> {
        let slicing = *self.aggregator.slicing();
        let lateness = self.allowed_lateness;
        self.processing_time = self.clock.as_ref().map_or(0, |c| c.now_millis());
        // Keys, key groups and slices first, so that the slices of the next records can be
        // prefetched while one is added (`LOOK_AHEAD`).
        let mut ahead = std::mem::take(&mut self.ahead);
        ahead.clear();
        for record in &batch {
            let key = (self.key_selector)(&record.value);
            let group = assign_key_group(&key, self.max_parallelism)?;
            let position = record.timestamp.and_then(|timestamp| slicing.position(timestamp).ok());
            ahead.push(Ahead { key, group, position });
        }
        for next in ahead.iter().take(LOOK_AHEAD) {
            self.prefetch(next);
        }
        for (i, (record, this)) in batch.into_iter().zip(&ahead).enumerate() {
            if i % LOOK_AHEAD == 0 {
                for next in ahead.iter().skip(i + LOOK_AHEAD).take(LOOK_AHEAD) {
                    self.prefetch(next);
                }
            }
            let timestamp = record.timestamp.ok_or_else(missing_timestamp)?;
            let watermark = self.timers.watermark.0;
            let position = match this.position {
                Some(position) => position,
                None => slicing.position(timestamp)?,
            };
            let slice_start = position.slice_start;
            let Some(first_end) = position.first_window_end else {
                continue; // in a gap between windows: no window holds it
            };
            // In-order records take only this test; windows that fired already need the rest.
            let some_fired = first_end - 1 <= watermark;
            let all_late = some_fired && (position.last_window_end - 1).saturating_add(lateness) <= watermark;
            if all_late {
                match &self.late_tag {
                    Some(tag) => out.emit_side(tag, record),
                    None => self.counters.add_late_records_dropped(1),
                }
                continue;
            }
            let key = &this.key;
            let state = scope_in(&mut self.state, key.clone(), this.group)?;
            let mut value = state.value(&self.slices)?;
            let added = match value.get_mut() {
                Some(slices) => self.aggregator.add_at(slices, &position, &record.value),
                None => {
                    let mut slices = SliceAccumulators::new();
                    let added = self.aggregator.add_at(&mut slices, &position, &record.value);
                    value.update(slices);
                    added
                }
            };
            if watermark == Watermark::MIN.0 && self.restored {
                // No watermark since the operator was restored: windows of the slice
                // may have fired before the snapshot, and a late record must re-fire them (the
                // general operator's trigger sets a timer for that). A timer for every window of
                // the slice (deduplicated): the first watermark fires the due ones.
                for end in slicing.window_ends_of_slice(slice_start) {
                    self.timers.event_time.register(end - 1, key.clone(), end)?;
                }
            } else if added.is_new {
                // The first window holding the slice that has not fired yet: later ones follow
                // by chaining (`arm_next`).
                let end = if some_fired {
                    slicing.window_ends_of_slice(slice_start).find(|end| end - 1 > watermark)
                } else {
                    Some(first_end)
                };
                if let Some(end) = end
                    && !(self.firings_chain && reached_by_chain(&slicing, end, added.previous, watermark))
                {
                    self.timers.event_time.register(end - 1, key.clone(), end)?;
                }
            }
            if some_fired && lateness > 0 {
                // Windows already fired but still within their lateness fire again at once.
                for end in slicing.window_ends_of_slice(slice_start) {
                    if end - 1 <= watermark && (end - 1).saturating_add(lateness) > watermark {
                        self.emit(key, end, out)?;
                        self.timers.event_time.register((end - 1).saturating_add(lateness), key.clone(), end)?;
                    }
                }
            }
        }
        self.ahead = ahead;
        Ok(())
    }

    fn handle_watermark(&mut self, watermark: Watermark, out: &mut Output<O>) -> Result<()> {
        self.timers.watermark = self.timers.watermark.max(watermark);
        self.processing_time = self.clock.as_ref().map_or(0, |c| c.now_millis());
        while let Some((time, key, end)) = self.timers.event_time.pop_due(watermark.0)? {
            let mut next = self.on_timer(time, key.clone(), end, out)?;
            while let Some(end) = next {
                next = self.on_scoped_timer(end - 1, key.clone(), end, out)?;
            }
        }
        self.window_state.settle(TimeDomain::EventTime, watermark.0);
        out.emit_watermark(watermark);
        Ok(())
    }
}
