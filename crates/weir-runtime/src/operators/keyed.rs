//! Keyed operators' shared machinery ([`KeyedBackend`]: keyed state, timers and the key
//! arithmetic) and `process` on a keyed stream: a [`KeyedProcessFunction`] with state and
//! timers scoped to each record's key.

use super::keyed_snapshot;
use crate::api::functions::{Collector, KeyedContext, KeyedProcessFunction};
use crate::timers::{InternalTimerService, TimeDomain};
use std::marker::PhantomData;
use std::sync::Arc;
use weir_core::clock::Clock;
use weir_core::key_group::assign_key_group;
use weir_core::operator::{OneInputOperator, OperatorContext};
use weir_core::record::Batch;
use weir_core::snapshot::{CheckpointInfo, StateSnapshot};
use weir_core::{Error, Key, Output, Result, Timestamp, Watermark};
use weir_state::KeyedStateBackend;

/// Extracts the key of a record.
pub(crate) type KeySelector<T, K> = Arc<dyn Fn(&T) -> K + Send + Sync>;

/// The keyed state and timers of one subtask, and the key arithmetic every keyed operator needs.
pub(crate) struct KeyedBackend<K> {
    state: Option<KeyedStateBackend<K>>,
    timers: InternalTimerService<K, ()>,
    clock: Option<Arc<dyn Clock>>,
    max_parallelism: usize,
    range: weir_core::KeyGroupRange,
}

impl<K: Key> KeyedBackend<K> {
    pub(crate) fn new() -> Self {
        KeyedBackend {
            state: None,
            timers: InternalTimerService::default(),
            clock: None,
            max_parallelism: 0,
            range: weir_core::KeyGroupRange { start: 0, end: 0 },
        }
    }

    /// Creates the state of the instance's key groups, restored if the job restores.
    pub(crate) fn on_start(&mut self, ctx: &OperatorContext) -> Result<()> {
        self.max_parallelism = ctx.max_parallelism;
        self.range = ctx.key_group_range;
        self.state = Some(keyed_snapshot::start(ctx, &mut self.timers)?);
        self.clock = Some(Arc::clone(&ctx.clock));
        Ok(())
    }

    /// The keyed state and timers, for a checkpoint.
    pub(crate) fn snapshot(&mut self, checkpoint: &CheckpointInfo) -> Result<Option<StateSnapshot>> {
        self.timers.check()?;
        keyed_snapshot::snapshot(self.state.as_mut(), &mut self.timers, self.range, checkpoint)
    }

    /// Checkpoint `id` completed: an incremental backend bases its next uploads on it.
    pub(crate) fn notify_checkpoint_complete(&mut self, id: u64) {
        if let Some(state) = &mut self.state {
            state.notify_checkpoint_complete(id);
        }
    }

    /// Scopes state to `key` and returns the backend.
    pub(crate) fn scope(&mut self, key: K) -> Result<&mut KeyedStateBackend<K>> {
        let group = assign_key_group(&key, self.max_parallelism)?;
        let state = self.state.as_mut().ok_or_else(|| Error::Internal("keyed state used before on_start".into()))?;
        state.set_current_key(key, group)?;
        Ok(state)
    }

    /// A function's context for `key`, emitting into `out` with `timestamp`.
    pub(crate) fn context<'a, O>(
        &'a mut self,
        key: K,
        out: &'a mut Output<O>,
        timestamp: Option<Timestamp>,
    ) -> Result<KeyedContext<'a, K, O>> {
        // A timer the last function call could not store fails the task before it goes on.
        self.timers.check()?;
        let group = assign_key_group(&key, self.max_parallelism)?;
        let state = self.state.as_mut().ok_or_else(|| Error::Internal("keyed state used before on_start".into()))?;
        state.set_current_key(key, group)?;
        Ok(KeyedContext {
            state,
            timers: &mut self.timers,
            clock: self.clock.as_deref(),
            emit: Collector { out, timestamp },
        })
    }

    /// Moves event time to `watermark`, firing every event-time timer at or below it in order.
    /// `on_timer` gets the timer's context (to use, or to wrap in a wider one).
    pub(crate) fn advance_watermark<O>(
        &mut self,
        watermark: Watermark,
        out: &mut Output<O>,
        mut on_timer: impl FnMut(Timestamp, TimeDomain, KeyedContext<'_, K, O>) -> Result<()>,
    ) -> Result<()> {
        self.timers.watermark = self.timers.watermark.max(watermark);
        while let Some((time, key, ())) = self.timers.event_time.pop_due(watermark.0)? {
            let ctx = self.context(key, out, Some(time))?;
            on_timer(time, TimeDomain::EventTime, ctx)?;
        }
        self.timers.check()
    }

    /// When the earliest processing-time timer is due.
    pub(crate) fn next_processing_time(&self) -> Option<Timestamp> {
        // `peek` on an immutable queue: the earliest entry may be stale (deleted); firing skips
        // it, so an early wake-up is the only cost.
        self.timers.processing_time.peek_lenient()
    }

    /// Fires every processing-time timer at or below `now`, in order.
    pub(crate) fn advance_processing_time<O>(
        &mut self,
        now: Timestamp,
        out: &mut Output<O>,
        mut on_timer: impl FnMut(Timestamp, TimeDomain, KeyedContext<'_, K, O>) -> Result<()>,
    ) -> Result<()> {
        while let Some((time, key, ())) = self.timers.processing_time.pop_due(now)? {
            let ctx = self.context(key, out, None)?;
            on_timer(time, TimeDomain::ProcessingTime, ctx)?;
        }
        self.timers.check()
    }
}

pub(crate) struct KeyedProcessOperator<K, In, Out, F> {
    pub(crate) function: F,
    pub(crate) key_selector: KeySelector<In, K>,
    pub(crate) backend: KeyedBackend<K>,
    pub(crate) _types: PhantomData<fn(In) -> Out>,
}

impl<K, In, Out, F> KeyedProcessOperator<K, In, Out, F>
where
    K: Key,
{
    pub(crate) fn new(function: F, key_selector: KeySelector<In, K>) -> Self {
        KeyedProcessOperator { function, key_selector, backend: KeyedBackend::new(), _types: PhantomData }
    }
}

impl<K, In, Out, F> OneInputOperator<In, Out> for KeyedProcessOperator<K, In, Out, F>
where
    K: Key,
    In: Send,
    Out: Send,
    F: KeyedProcessFunction<K, In, Out>,
{
    fn on_start(&mut self, ctx: &OperatorContext) -> Result<()> {
        self.backend.on_start(ctx)?;
        self.function.open(ctx)
    }

    fn snapshot_state(&mut self, checkpoint: &CheckpointInfo, _out: &mut Output<Out>) -> Result<Option<StateSnapshot>> {
        self.backend.snapshot(checkpoint)
    }

    fn notify_checkpoint_complete(&mut self, id: u64) -> Result<()> {
        self.backend.notify_checkpoint_complete(id);
        Ok(())
    }

    fn process_batch(&mut self, batch: Batch<In>, out: &mut Output<Out>) -> Result<()> {
        for record in batch {
            let key = (self.key_selector)(&record.value);
            let mut ctx = self.backend.context(key, out, record.timestamp)?;
            self.function.process_element(record.value, &mut ctx)?;
        }
        Ok(())
    }

    fn handle_watermark(&mut self, watermark: Watermark, out: &mut Output<Out>) -> Result<()> {
        let function = &mut self.function;
        self.backend
            .advance_watermark(watermark, out, |time, domain, mut ctx| function.on_timer(time, domain, &mut ctx))?;
        out.emit_watermark(watermark);
        Ok(())
    }

    fn next_processing_time(&self) -> Option<Timestamp> {
        self.backend.next_processing_time()
    }

    fn on_processing_time(&mut self, now: Timestamp, out: &mut Output<Out>) -> Result<()> {
        let function = &mut self.function;
        self.backend
            .advance_processing_time(now, out, |time, domain, mut ctx| function.on_timer(time, domain, &mut ctx))
    }
}
