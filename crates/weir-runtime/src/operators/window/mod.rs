//! The window operator: keyed windows with an assigner, a trigger, an optional evictor and a
//! window function (DESIGN §5).
//!
//! Per record: assign windows (merging sessions through a `MergingWindowSet` kept in keyed
//! state), skip windows already past their allowed lateness, add the record to each window's
//! contents, ask the trigger, fire or purge, and register a cleanup timer at the end of the
//! window's lateness. Per timer (event or processing time, namespaced by window): ask the
//! trigger, fire or purge, and at cleanup time drop the window's contents and trigger state,
//! call the function's `clear`, and drop the window's per-window state (`window_state`).
//! A record whose every window is past its lateness goes to the late-data side output if one
//! was requested, otherwise it is dropped and counted (`late_records_dropped` in the job result).
//!
//! The function's context (`WindowContext`) reaches the operator's keyed state: per-window state
//! and global state (`api::window_state`), touched only when the function asks, so nothing per
//! record.
//!
//! Window contents, trigger state, session sets and the function's state live in keyed state by
//! key group; timers in the operator's timer service. It is **not** the slice-sharing fast path
//! (module `slicing`), which `WindowedStream` picks instead for tumbling and sliding event-time
//! aggregations with the default trigger.

pub(crate) mod contents;
pub(crate) mod local_aggregate;
pub(crate) mod slicing;
mod trigger_context;
pub(crate) mod window_state;

use crate::api::window_function::WindowContext;
use crate::operators::keyed_snapshot;
use crate::timers::InternalTimerService;
use contents::WindowCore;
use std::any::Any;
use std::marker::PhantomData;
use std::sync::Arc;
use trigger_context::{TriggerState, WindowTriggerContext};
use weir_core::clock::Clock;
use weir_core::key_group::assign_key_group;
use weir_core::operator::{OneInputOperator, OperatorContext, OperatorCounters};
use weir_core::record::{Batch, Record};
use weir_core::snapshot::{CheckpointInfo, StateSnapshot};
use weir_core::time::TimeDomain;
use weir_core::window::late::{cleanup_time_in, is_element_late, is_late_in};
use weir_core::window::{MergeResult, MergingWindowSet, TimeWindow, Trigger, TriggerResult, Window, WindowAssigner};
use weir_core::{Error, Key, Output, Result, Timestamp, Watermark};
use weir_state::{KeyedStateBackend, MapStateDescriptor, ValueStateDescriptor};
use window_state::WindowStateRegistry;

use super::keyed::KeySelector;

/// What a window definition says, shared by every subtask.
pub(crate) struct WindowSpec<K, T, W> {
    pub(crate) key_selector: KeySelector<T, K>,
    pub(crate) assigner: Arc<dyn WindowAssigner<T, Window = W>>,
    pub(crate) trigger: Arc<dyn Trigger<T, W>>,
    /// Milliseconds.
    pub(crate) allowed_lateness: i64,
    /// The late-data side output's tag key.
    pub(crate) late_tag: Option<String>,
}

impl<K, T, W> Clone for WindowSpec<K, T, W> {
    fn clone(&self) -> Self {
        WindowSpec {
            key_selector: Arc::clone(&self.key_selector),
            assigner: Arc::clone(&self.assigner),
            trigger: Arc::clone(&self.trigger),
            allowed_lateness: self.allowed_lateness,
            late_tag: self.late_tag.clone(),
        }
    }
}

pub(crate) struct WindowOperator<K, T, W, O, C: WindowCore<K, T, W, O>> {
    spec: WindowSpec<K, T, W>,
    core: C,
    state: Option<KeyedStateBackend<K>>,
    timers: InternalTimerService<K, W>,
    clock: Option<Arc<dyn Clock>>,
    counters: Arc<OperatorCounters>,
    max_parallelism: usize,
    range: weir_core::KeyGroupRange,
    contents: MapStateDescriptor<W, C::Contents>,
    /// A merging assigner's windows per key (one descriptor, so its slot is cached).
    sessions: ValueStateDescriptor<MergingWindowSet>,
    trigger_state: TriggerState<W>,
    /// The function's per-window state.
    window_state: WindowStateRegistry<K, W>,
    /// Reused for the windows of each record.
    windows: Vec<W>,
    _output: PhantomData<fn() -> O>,
}

/// The parts of the operator a window's processing borrows at once.
struct Scope<'a, K, T, W, O, C: WindowCore<K, T, W, O>> {
    spec: &'a WindowSpec<K, T, W>,
    core: &'a mut C,
    state: &'a mut KeyedStateBackend<K>,
    timers: &'a mut InternalTimerService<K, W>,
    contents: &'a MapStateDescriptor<W, C::Contents>,
    sessions: &'a ValueStateDescriptor<MergingWindowSet>,
    trigger_state: &'a TriggerState<W>,
    window_state: &'a mut WindowStateRegistry<K, W>,
    key: &'a K,
    processing_time: Timestamp,
    out: &'a mut Output<O>,
}

impl<K, T, W, O, C> Scope<'_, K, T, W, O, C>
where
    K: Key,
    T: Send + 'static,
    W: Window,
    O: Send + 'static,
    C: WindowCore<K, T, W, O>,
{
    fn domain(&self) -> TimeDomain {
        self.spec.assigner.time_domain()
    }

    fn trigger_ctx<'b>(&'b mut self, window: &W, merged: &'b [W]) -> WindowTriggerContext<'b, K, W> {
        WindowTriggerContext {
            state: &mut *self.state,
            timers: &mut *self.timers,
            descriptor: self.trigger_state,
            window: window.clone(),
            merged,
            processing_time: self.processing_time,
        }
    }

    /// Adds a record to the window's contents, in place (no remove and put: the key's map of
    /// windows would go and come back with its only window).
    fn add(&mut self, state_window: &W, record: &Record<T>) -> Result<()> {
        let mut map = self.state.map(self.contents)?;
        match map.get_mut(state_window) {
            Some(contents) => self.core.add_to(contents, record),
            None => map.put(state_window.clone(), self.core.add(None, record)),
        }
        Ok(())
    }

    fn clear_contents(&mut self, state_window: &W) -> Result<()> {
        self.state.map(self.contents)?.remove(state_window);
        Ok(())
    }

    /// Emits `window` from the contents kept under `state_window`; purges them if asked.
    fn fire(&mut self, window: &W, state_window: &W, purge: bool) -> Result<()> {
        let Some(mut contents) = self.state.map(self.contents)?.remove(state_window) else { return Ok(()) };
        let mut ctx = WindowContext {
            window,
            watermark: self.timers.watermark,
            processing_time: self.processing_time,
            out: &mut *self.out,
            state: &mut *self.state,
            window_state: &mut *self.window_state,
        };
        self.core.fire(self.key, &mut contents, &mut ctx)?;
        if !purge {
            self.state.map(self.contents)?.put(state_window.clone(), contents);
        }
        Ok(())
    }

    fn act(&mut self, result: TriggerResult, window: &W, state_window: &W) -> Result<()> {
        if result.is_fire() {
            self.fire(window, state_window, result.is_purge())
        } else if result.is_purge() {
            self.clear_contents(state_window)
        } else {
            Ok(())
        }
    }

    /// The window is cleaned up: the function's `clear`, then its per-window state goes.
    fn clear_window_state(&mut self, window: &W) -> Result<()> {
        let mut ctx = WindowContext {
            window,
            watermark: self.timers.watermark,
            processing_time: self.processing_time,
            out: &mut *self.out,
            state: &mut *self.state,
            window_state: &mut *self.window_state,
        };
        self.core.clear(self.key, &mut ctx)?;
        self.window_state.clear_window(self.state, window)
    }

    fn cleanup_time(&self, window: &W) -> Timestamp {
        cleanup_time_in(self.domain(), window, self.spec.allowed_lateness)
    }

    fn register_cleanup(&mut self, window: &W) -> Result<()> {
        let time = self.cleanup_time(window);
        if time == i64::MAX {
            return Ok(()); // never reached: nothing to clean (Flink skips it too)
        }
        match self.domain() {
            TimeDomain::EventTime => self.timers.event_time.register(time, self.key.clone(), window.clone()),
            TimeDomain::ProcessingTime => self.timers.processing_time.register(time, self.key.clone(), window.clone()),
        }
    }

    fn delete_cleanup(&mut self, window: &W) -> Result<()> {
        let time = self.cleanup_time(window);
        match self.domain() {
            TimeDomain::EventTime => self.timers.event_time.delete(time, self.key, window),
            TimeDomain::ProcessingTime => self.timers.processing_time.delete(time, self.key, window),
        }
    }

    fn is_late(&self, window: &W) -> bool {
        is_late_in(self.domain(), window, self.timers.watermark.0, self.spec.allowed_lateness)
    }

    /// Puts a record into its (non-merging) windows; false if every window was already late.
    fn place(&mut self, windows: &[W], record: &Record<T>, time: Timestamp) -> Result<bool> {
        let mut placed = false;
        for window in windows {
            if self.is_late(window) {
                continue;
            }
            placed = true;
            self.add(window, record)?;
            // Borrowed from the spec (`&'a`), not from `self`: no Arc count per record.
            let trigger = &self.spec.trigger;
            let result = trigger.on_element(&record.value, time, window, &mut self.trigger_ctx(window, &[]))?;
            self.act(result, window, window)?;
            self.register_cleanup(window)?;
        }
        Ok(placed)
    }

    /// Puts a record into its session windows, merging them with the key's sessions.
    fn place_merging(&mut self, windows: &[W], record: &Record<T>, time: Timestamp) -> Result<bool> {
        // Taken out of state (not cloned, and its entry left in place) for the record's merges,
        // and put back after.
        let mut sessions = self.state.value(self.sessions)?.get_mut().map(std::mem::take).unwrap_or_default();
        let mut placed = false;
        let trigger = &self.spec.trigger;
        for window in windows {
            let (actual, state_window) = match sessions.add_window(to_time_window(window)?) {
                MergeResult::Added(w) => (w, w),
                MergeResult::Absorbed { window, state_window } => (window, state_window),
                MergeResult::Merged(merge) => {
                    let (actual, state_window) = (merge.result, merge.state_window);
                    let actual_w: W = from_time_window(actual)?;
                    let merged: Vec<W> = merge.merged_windows().map(from_time_window).collect::<Result<_>>()?;
                    trigger.on_merge(&actual_w, &mut self.trigger_ctx(&actual_w, &merged))?;
                    for gone in &merged {
                        trigger.clear(gone, &mut self.trigger_ctx(gone, &[]))?;
                        self.delete_cleanup(gone)?;
                    }
                    let into: W = from_time_window(state_window)?;
                    for source in merge.merged_state_windows() {
                        let source: W = from_time_window(source)?;
                        if source == into {
                            continue;
                        }
                        let mut map = self.state.map(self.contents)?;
                        if let Some(moved) = map.remove(&source) {
                            let merged_contents = match map.remove(&into) {
                                Some(existing) => self.core.merge(existing, moved),
                                None => moved,
                            };
                            map.put(into.clone(), merged_contents);
                        }
                    }
                    (actual, state_window)
                }
            };
            let (actual, state_window): (W, W) = (from_time_window(actual)?, from_time_window(state_window)?);
            if self.is_late(&actual) {
                sessions.retire_window(&to_time_window(&actual)?);
                self.clear_contents(&state_window)?;
                trigger.clear(&actual, &mut self.trigger_ctx(&actual, &[]))?;
                continue;
            }
            placed = true;
            self.add(&state_window, record)?;
            let result = trigger.on_element(&record.value, time, &actual, &mut self.trigger_ctx(&actual, &[]))?;
            self.act(result, &actual, &state_window)?;
            self.register_cleanup(&actual)?;
        }
        let mut value = self.state.value(self.sessions)?;
        if sessions.is_empty() {
            value.clear();
        } else {
            value.update(sessions);
        }
        Ok(placed)
    }

    /// A timer of `window` fired at `time`.
    fn on_timer(&mut self, time: Timestamp, window: W, domain: TimeDomain) -> Result<()> {
        let merging = self.spec.assigner.is_merging();
        let mut sessions = None;
        let state_window = if merging {
            let set = self.state.value(self.sessions)?.value().unwrap_or_default();
            let Some(state_window) = set.state_window(&to_time_window(&window)?) else {
                return Ok(()); // the window merged into another or was retired: its timers are void
            };
            sessions = Some(set);
            from_time_window(state_window)?
        } else {
            window.clone()
        };
        let trigger = &self.spec.trigger;
        let result = match domain {
            TimeDomain::EventTime => trigger.on_event_time(time, &window, &mut self.trigger_ctx(&window, &[]))?,
            TimeDomain::ProcessingTime => {
                trigger.on_processing_time(time, &window, &mut self.trigger_ctx(&window, &[]))?
            }
        };
        self.act(result, &window, &state_window)?;
        if domain == self.domain() && time == self.cleanup_time(&window) {
            self.clear_contents(&state_window)?;
            trigger.clear(&window, &mut self.trigger_ctx(&window, &[]))?;
            self.clear_window_state(&window)?;
            if let Some(mut set) = sessions {
                set.retire_window(&to_time_window(&window)?);
                let mut value = self.state.value(self.sessions)?;
                if set.is_empty() {
                    value.clear(); // a key with no session keeps no state
                } else {
                    value.update(set);
                }
            }
        }
        Ok(())
    }
}

const SESSIONS: &str = "window-sessions";

fn to_time_window<W: 'static>(window: &W) -> Result<TimeWindow> {
    (window as &dyn Any)
        .downcast_ref::<TimeWindow>()
        .copied()
        .ok_or_else(|| Error::Internal("merging window assigners must produce TimeWindows".into()))
}

fn from_time_window<W: 'static>(window: TimeWindow) -> Result<W> {
    let boxed: Box<dyn Any> = Box::new(window);
    boxed
        .downcast::<W>()
        .map(|w| *w)
        .map_err(|_| Error::Internal("merging window assigners must produce TimeWindows".into()))
}

impl<K, T, W, O, C> WindowOperator<K, T, W, O, C>
where
    K: Key,
    T: Send + 'static,
    W: Window,
    O: Send + 'static,
    C: WindowCore<K, T, W, O>,
{
    pub(crate) fn new(spec: WindowSpec<K, T, W>, core: C) -> Self {
        let window_state =
            WindowStateRegistry::new(spec.assigner.time_domain(), spec.allowed_lateness, spec.assigner.is_merging());
        WindowOperator {
            spec,
            core,
            state: None,
            timers: InternalTimerService::default(),
            clock: None,
            counters: Arc::default(),
            max_parallelism: 0,
            range: weir_core::KeyGroupRange { start: 0, end: 0 },
            contents: MapStateDescriptor::new("window-contents"),
            sessions: ValueStateDescriptor::new(SESSIONS),
            trigger_state: MapStateDescriptor::new("window-trigger-state"),
            window_state,
            windows: Vec::new(),
            _output: PhantomData,
        }
    }

    /// Scopes everything to `key` for one step of processing.
    /// `processing_time` is read once per batch or timer pass by the caller, not per record.
    fn scope<'a>(
        &'a mut self,
        key: &'a K,
        processing_time: Timestamp,
        out: &'a mut Output<O>,
    ) -> Result<Scope<'a, K, T, W, O, C>> {
        let group = assign_key_group(key, self.max_parallelism)?;
        let state =
            self.state.as_mut().ok_or_else(|| Error::Internal("window operator used before on_start".into()))?;
        state.set_current_key(key.clone(), group)?;
        Ok(Scope {
            spec: &self.spec,
            core: &mut self.core,
            state,
            timers: &mut self.timers,
            contents: &self.contents,
            sessions: &self.sessions,
            trigger_state: &self.trigger_state,
            window_state: &mut self.window_state,
            key,
            processing_time,
            out,
        })
    }

    fn fire_timers(&mut self, domain: TimeDomain, until: Timestamp, out: &mut Output<O>) -> Result<()> {
        let now = self.clock.as_ref().map_or(0, |c| c.now_millis());
        loop {
            let due = match domain {
                TimeDomain::EventTime => self.timers.event_time.pop_due(until),
                TimeDomain::ProcessingTime => self.timers.processing_time.pop_due(until),
            };
            let Some((time, key, window)) = due? else { break };
            self.scope(&key, now, out)?.on_timer(time, window, domain)?;
        }
        self.window_state.settle(domain, until);
        Ok(())
    }
}

impl<K, T, W, O, C> OneInputOperator<T, O> for WindowOperator<K, T, W, O, C>
where
    K: Key,
    T: Send + Clone + 'static,
    W: Window,
    O: Send + 'static,
    C: WindowCore<K, T, W, O>,
{
    fn on_start(&mut self, ctx: &OperatorContext) -> Result<()> {
        self.max_parallelism = ctx.max_parallelism;
        self.range = ctx.key_group_range;
        self.state = Some(keyed_snapshot::start(ctx, &mut self.timers)?);
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
        let now = self.clock.as_ref().map_or(0, |c| c.now_millis());
        let mut windows = std::mem::take(&mut self.windows);
        for record in batch {
            let time = self.spec.assigner.assignment_time(record.timestamp, now)?;
            windows.clear();
            self.spec.assigner.assign_windows(&record.value, time, &mut windows)?;
            let key = (self.spec.key_selector)(&record.value);
            let merging = self.spec.assigner.is_merging();
            let mut scope = self.scope(&key, now, out)?;
            let placed = if merging {
                scope.place_merging(&windows, &record, time)?
            } else {
                scope.place(&windows, &record, time)?
            };
            let late = !placed
                && !windows.is_empty()
                && self.spec.assigner.is_event_time()
                && is_element_late(time, self.timers.watermark.0, self.spec.allowed_lateness);
            if late {
                match &self.spec.late_tag {
                    Some(tag) => out.emit_side(tag, record),
                    None => self.counters.add_late_records_dropped(1),
                }
            }
        }
        self.windows = windows;
        Ok(())
    }

    fn handle_watermark(&mut self, watermark: Watermark, out: &mut Output<O>) -> Result<()> {
        self.timers.watermark = self.timers.watermark.max(watermark);
        self.fire_timers(TimeDomain::EventTime, watermark.0, out)?;
        out.emit_watermark(watermark);
        Ok(())
    }

    fn next_processing_time(&self) -> Option<Timestamp> {
        self.timers.processing_time.peek_lenient()
    }

    fn on_processing_time(&mut self, now: Timestamp, out: &mut Output<O>) -> Result<()> {
        self.fire_timers(TimeDomain::ProcessingTime, now, out)
    }
}

#[cfg(test)]
mod tests;
