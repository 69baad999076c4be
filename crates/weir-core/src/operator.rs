//! The operator traits: what the runtime calls on a transformation.
//!
//! Most jobs never implement these: `map`, `filter`, process functions and sinks are operators
//! the runtime builds from closures. A custom operator implements only the lifecycle methods it
//! needs; the others have no-op defaults (watermarks are forwarded unchanged).
//!
//! Lifecycle, on one subtask: `on_start` once (reading [`OperatorContext::restored`] when the job
//! restores from a checkpoint), then `process_batch`/`handle_watermark` in stream order, with
//! `snapshot_state` when a checkpoint barrier passes and `notify_checkpoint_complete`/`_aborted`
//! when the coordinator decided, then `on_end_of_input` when a bounded input ends, then
//! `on_close` (also on failure).

use crate::clock::{Clock, SystemClock};
use crate::config::Configuration;
use crate::error::Result;
use crate::ids::{OperatorUid, SubtaskIndex};
use crate::key_group::KeyGroupRange;
use crate::output::Output;
use crate::record::Batch;
use crate::snapshot::{CheckpointInfo, RestoredState, StateSnapshot};
use crate::time::{Timestamp, Watermark, WatermarkStatus};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// What an operator instance knows about where it runs.
#[derive(Debug, Clone)]
pub struct OperatorContext {
    /// The operator's display name, e.g. `Map` or the name given with `.name(...)`.
    pub operator_name: String,
    /// The operator's stable id.
    pub uid: OperatorUid,
    /// This instance's index.
    pub subtask: SubtaskIndex,
    /// How many instances the operator has.
    pub parallelism: usize,
    /// The number of key groups.
    pub max_parallelism: usize,
    /// The key groups this instance owns (meaningful for keyed operators).
    pub key_group_range: KeyGroupRange,
    /// Where processing time comes from (the system clock unless a test injects another).
    pub clock: Arc<dyn Clock>,
    /// The job's configuration, for operators with settings of their own.
    pub config: Arc<Configuration>,
    /// Counters the operator reports through (shown in the job result).
    pub counters: Arc<OperatorCounters>,
    /// The state this instance restores, when the job (re)starts from a checkpoint or savepoint
    /// that holds state of this operator's uid.
    pub restored: Option<Arc<RestoredState>>,
    /// Whether the job takes checkpoints. Exactly-once sinks commit on checkpoint completion
    /// when it does (the job's last output with its final checkpoint), and when their input
    /// ends when it does not.
    pub checkpointing: bool,
}

/// Counts an operator reports beyond records in and out.
#[derive(Debug, Default)]
pub struct OperatorCounters {
    late_records_dropped: AtomicU64,
}

impl OperatorCounters {
    /// Records that arrived after their window's allowed lateness and had no side output to go to.
    pub fn add_late_records_dropped(&self, n: u64) {
        self.late_records_dropped.fetch_add(n, Ordering::Relaxed);
    }

    pub fn late_records_dropped(&self) -> u64 {
        self.late_records_dropped.load(Ordering::Relaxed)
    }
}

impl OperatorContext {
    /// `name (i/p)`, 1-based as Flink shows subtasks.
    pub fn task_name(&self) -> String {
        format!("{} ({}/{})", self.operator_name, self.subtask.0 + 1, self.parallelism)
    }

    /// A context for one instance of one operator, with its key-group range derived.
    pub fn new(
        operator_name: impl Into<String>,
        uid: OperatorUid,
        subtask: usize,
        parallelism: usize,
        max_parallelism: usize,
    ) -> Self {
        OperatorContext {
            operator_name: operator_name.into(),
            uid,
            subtask: SubtaskIndex(subtask),
            parallelism,
            max_parallelism,
            key_group_range: KeyGroupRange::for_subtask(max_parallelism, parallelism, subtask),
            clock: Arc::new(SystemClock::default()),
            config: Arc::new(Configuration::new()),
            counters: Arc::default(),
            restored: None,
            checkpointing: false,
        }
    }

    /// The same context in a job that takes checkpoints (`true`) or not.
    pub fn with_checkpointing(mut self, checkpointing: bool) -> Self {
        self.checkpointing = checkpointing;
        self
    }

    /// The same context restoring `restored`.
    pub fn with_restored(mut self, restored: Option<Arc<RestoredState>>) -> Self {
        self.restored = restored;
        self
    }

    /// The same context reporting through `counters`.
    pub fn with_counters(mut self, counters: Arc<OperatorCounters>) -> Self {
        self.counters = counters;
        self
    }

    /// The same context with another clock.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The same context with the job's configuration.
    pub fn with_config(mut self, config: Arc<Configuration>) -> Self {
        self.config = config;
        self
    }
}

/// An operator with one input.
pub trait OneInputOperator<In, Out>: Send {
    /// Called once before the first element.
    fn on_start(&mut self, _ctx: &OperatorContext) -> Result<()> {
        Ok(())
    }

    /// Processes one batch of records.
    fn process_batch(&mut self, batch: Batch<In>, out: &mut Output<Out>) -> Result<()>;

    /// The operator's watermark advanced (the minimum over its inputs). Forwards it by default.
    fn handle_watermark(&mut self, watermark: Watermark, out: &mut Output<Out>) -> Result<()> {
        out.emit_watermark(watermark);
        Ok(())
    }

    /// The input went idle or became active again (DESIGN §5). Forwards the status by default;
    /// an operator that holds records back emits them first, so that they reach consumers
    /// before those stop waiting for this input's watermark.
    fn handle_watermark_status(&mut self, status: WatermarkStatus, out: &mut Output<Out>) -> Result<()> {
        out.emit_watermark_status(status);
        Ok(())
    }

    /// The (bounded) input ended: emit what is still held back.
    fn on_end_of_input(&mut self, _out: &mut Output<Out>) -> Result<()> {
        Ok(())
    }

    /// The earliest processing time at which the operator wants [`Self::on_processing_time`]
    /// (a timer, a periodic emission). The task asks after every call into the operator.
    fn next_processing_time(&self) -> Option<Timestamp> {
        None
    }

    /// Processing time reached `now` (at or after [`Self::next_processing_time`]).
    fn on_processing_time(&mut self, _now: Timestamp, _out: &mut Output<Out>) -> Result<()> {
        Ok(())
    }

    /// A checkpoint barrier passes: return this instance's state (`None` when it keeps none).
    /// Processing is paused while this runs, so keep it short; heavy serialization belongs in a
    /// [`crate::snapshot::SnapshotData::Deferred`] closure. Anything emitted goes downstream
    /// before the barrier.
    fn snapshot_state(
        &mut self,
        _checkpoint: &CheckpointInfo,
        _out: &mut Output<Out>,
    ) -> Result<Option<StateSnapshot>> {
        Ok(None)
    }

    /// Checkpoint `id` is complete (its `_metadata` is durable): commit what it covers.
    fn notify_checkpoint_complete(&mut self, _id: u64) -> Result<()> {
        Ok(())
    }

    /// Checkpoint `id` was aborted: forget what was staged for it only.
    fn notify_checkpoint_aborted(&mut self, _id: u64) -> Result<()> {
        Ok(())
    }

    /// Called once at the end, after success or failure; release resources here.
    fn on_close(&mut self) -> Result<()> {
        Ok(())
    }
}

/// Which input of a two-input operator an element came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InputSide {
    First,
    Second,
}

/// An operator with two inputs of different types (`connect`).
pub trait TwoInputOperator<In1, In2, Out>: Send {
    fn on_start(&mut self, _ctx: &OperatorContext) -> Result<()> {
        Ok(())
    }

    /// Processes a batch from the first input.
    fn process_batch1(&mut self, batch: Batch<In1>, out: &mut Output<Out>) -> Result<()>;

    /// Processes a batch from the second input.
    fn process_batch2(&mut self, batch: Batch<In2>, out: &mut Output<Out>) -> Result<()>;

    /// The combined watermark of both inputs advanced. Forwards it by default.
    fn handle_watermark(&mut self, watermark: Watermark, out: &mut Output<Out>) -> Result<()> {
        out.emit_watermark(watermark);
        Ok(())
    }

    /// One input ended.
    fn on_end_of_input(&mut self, _side: InputSide, _out: &mut Output<Out>) -> Result<()> {
        Ok(())
    }

    /// As [`OneInputOperator::next_processing_time`].
    fn next_processing_time(&self) -> Option<Timestamp> {
        None
    }

    /// As [`OneInputOperator::on_processing_time`].
    fn on_processing_time(&mut self, _now: Timestamp, _out: &mut Output<Out>) -> Result<()> {
        Ok(())
    }

    /// A checkpoint barrier passes: return this instance's state (`None` when it keeps none).
    /// Processing is paused while this runs, so keep it short; heavy serialization belongs in a
    /// [`crate::snapshot::SnapshotData::Deferred`] closure. Anything emitted goes downstream
    /// before the barrier.
    fn snapshot_state(
        &mut self,
        _checkpoint: &CheckpointInfo,
        _out: &mut Output<Out>,
    ) -> Result<Option<StateSnapshot>> {
        Ok(None)
    }

    /// Checkpoint `id` is complete (its `_metadata` is durable): commit what it covers.
    fn notify_checkpoint_complete(&mut self, _id: u64) -> Result<()> {
        Ok(())
    }

    /// Checkpoint `id` was aborted: forget what was staged for it only.
    fn notify_checkpoint_aborted(&mut self, _id: u64) -> Result<()> {
        Ok(())
    }

    fn on_close(&mut self) -> Result<()> {
        Ok(())
    }
}
