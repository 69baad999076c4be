//! Sources as the runtime drives them: the erased form of a [`Source`] (split enumeration and
//! assignment), of its readers, and the loop of a source subtask.
//!
//! A source subtask polls its reader for up to one batch at a time and pushes what it emitted
//! through its chain. When the reader has nothing (a rate limit, no new data) the subtask first
//! flushes its buffers, so records never wait behind an idle source, and then waits in a way that
//! cancellation interrupts. When every split is finished it emits the final watermark and
//! end-of-input: a bounded job drains and finishes on its own. When the job stops with a
//! savepoint it stops reading where it is: with a drain as if the input were complete (final
//! watermark, operators finish), without one by ending its output as stopped (no watermark, no
//! operator told), keeping its position for the savepoint.
//!
//! A source given a watermark strategy (`from_source_with_watermarks`) has its reader emit per
//! split, and the reader's adapter runs the strategy per split before the chain
//! ([`super::split_watermarks`]); its periodic emission is one more processing-time callback of
//! the loop. Without a strategy the reader's batches go to the chain as they are.

use super::chain::OperatorChain;
use super::element::{Emit, InputEnd};
use super::metrics::OperatorMetrics;
use super::split_watermarks::SplitWatermarks;
use super::stream_task::TaskEnvironment;
use crate::api::watermark_strategy::WatermarkStrategy;
use crate::checkpointing::messages::TaskCommand;
use crate::checkpointing::task_side::{SourcePosition, TaskCheckpointing, empty_split_list};
use crate::faults::FaultPoint;
use crossbeam_channel::RecvTimeoutError;
use std::any::Any;
use std::sync::Arc;
use std::time::Duration;
use weir_core::operator::{InputSide, OperatorContext};
use weir_core::source::{ReaderEmitted, ReaderOutput, Source, SourcePoll, SourceReader, SourceSplit};
use weir_core::{Data, Error, OperatorUid, Result, Timestamp, Watermark};

/// The splits given to one subtask, with their type erased, and how many there are (for the
/// dry run of a restore, which shows how positions are dealt out).
pub(crate) struct SplitAssignment {
    splits: Box<dyn Any + Send>,
    count: usize,
}

impl SplitAssignment {
    fn new<S: Send + 'static>(splits: Vec<S>) -> Self {
        SplitAssignment { count: splits.len(), splits: Box::new(splits) }
    }

    /// How many splits the subtask is given.
    pub(crate) fn count(&self) -> usize {
        self.count
    }
}

/// A source whose record and split types are erased.
pub(crate) trait ErasedSource: Send + Sync {
    /// Enumerates the splits and deals them out round-robin: one assignment per subtask.
    fn assign_splits(&self, parallelism: usize) -> Result<Vec<SplitAssignment>>;
    /// The splits at the positions a checkpoint recorded, one serialized list per old subtask:
    /// each subtask takes its own back at unchanged parallelism; otherwise they are dealt out
    /// round-robin.
    fn restore_splits(&self, parallelism: usize, snapshots: &[&[u8]]) -> Result<Vec<SplitAssignment>>;
    fn create_reader(
        &self,
        ctx: &OperatorContext,
        splits: SplitAssignment,
        metrics: Arc<OperatorMetrics>,
    ) -> Result<Box<dyn ErasedSourceReader>>;
}

/// A reader whose types are erased.
pub(crate) trait ErasedSourceReader: Send {
    fn poll(&mut self, max_records: usize, emit: &mut dyn Emit) -> Result<SourcePoll>;
    /// When the reader's processing-time callback (periodic watermarks) is due, if it has one.
    fn next_processing_time(&self) -> Option<Timestamp>;
    fn on_processing_time(&mut self, now: Timestamp, emit: &mut dyn Emit) -> Result<()>;
    /// The unfinished splits with their positions, serialized (postcard): a checkpoint's
    /// record of where this subtask is.
    fn snapshot_splits(&self) -> Result<Vec<u8>>;
    fn on_close(&mut self) -> Result<()>;
}

pub(crate) struct SourceAdapter<T, S> {
    source: S,
    /// The strategy given at the source, run per split in the reader's adapter.
    watermarks: Option<WatermarkStrategy<T>>,
}

impl<T: Data, S: Source<T>> SourceAdapter<T, S> {
    pub(crate) fn new(source: S) -> Self {
        SourceAdapter { source, watermarks: None }
    }

    /// A source whose subtasks generate watermarks per split with `strategy`.
    pub(crate) fn with_watermarks(source: S, strategy: WatermarkStrategy<T>) -> Self {
        SourceAdapter { source, watermarks: Some(strategy) }
    }
}

impl<T: Data, S: Source<T>> ErasedSource for SourceAdapter<T, S> {
    fn assign_splits(&self, parallelism: usize) -> Result<Vec<SplitAssignment>> {
        let splits = self.source.create_splits(parallelism)?;
        let mut per_subtask: Vec<Vec<S::Split>> = (0..parallelism).map(|_| Vec::new()).collect();
        for (i, split) in splits.into_iter().enumerate() {
            per_subtask[i % parallelism].push(split);
        }
        Ok(per_subtask.into_iter().map(SplitAssignment::new).collect())
    }

    fn restore_splits(&self, parallelism: usize, snapshots: &[&[u8]]) -> Result<Vec<SplitAssignment>> {
        let mut old = Vec::with_capacity(snapshots.len());
        for (i, bytes) in snapshots.iter().enumerate() {
            let splits: Vec<S::Split> = postcard::from_bytes(bytes).map_err(|e| {
                Error::Internal(format!(
                    "the checkpointed positions of source '{}' (old subtask {}) cannot be read: {e}",
                    self.source.name(),
                    i + 1
                ))
            })?;
            old.push(splits);
        }
        let per_subtask: Vec<Vec<S::Split>> = if old.len() == parallelism {
            old
        } else {
            let mut dealt: Vec<Vec<S::Split>> = (0..parallelism).map(|_| Vec::new()).collect();
            for (i, split) in old.into_iter().flatten().enumerate() {
                dealt[i % parallelism].push(split);
            }
            dealt
        };
        Ok(per_subtask.into_iter().map(SplitAssignment::new).collect())
    }

    fn create_reader(
        &self,
        ctx: &OperatorContext,
        splits: SplitAssignment,
        metrics: Arc<OperatorMetrics>,
    ) -> Result<Box<dyn ErasedSourceReader>> {
        let splits = splits
            .splits
            .downcast::<Vec<S::Split>>()
            .map_err(|_| Error::Internal(format!("{}: splits of an unexpected type", ctx.task_name())))?;
        let mut reader = self.source.create_reader(ctx)?;
        let (output, watermarks) = match &self.watermarks {
            Some(strategy) => {
                let mut watermarks = SplitWatermarks::new(strategy.clone(), ctx)?;
                for split in splits.iter() {
                    watermarks.add_split(split.split_id());
                }
                (ReaderOutput::per_split(), Some(watermarks))
            }
            None => (ReaderOutput::new(), None),
        };
        reader.add_splits(*splits)?;
        Ok(Box::new(ReaderAdapter { reader, output, metrics, watermarks }))
    }
}

struct ReaderAdapter<T, S> {
    reader: Box<dyn SourceReader<T, S>>,
    /// Per split when `watermarks` is set.
    output: ReaderOutput<T>,
    metrics: Arc<OperatorMetrics>,
    watermarks: Option<SplitWatermarks<T>>,
}

impl<T: Data, S: Data> ErasedSourceReader for ReaderAdapter<T, S> {
    fn poll(&mut self, max_records: usize, emit: &mut dyn Emit) -> Result<SourcePoll> {
        let poll = self.reader.poll_next(&mut self.output, max_records)?;
        match &mut self.watermarks {
            None => {
                while let Some(element) = self.output.pop() {
                    if let ReaderEmitted::Batch { batch, .. } = element {
                        self.metrics.add_out(batch.len());
                        emit.batch(Box::new(batch))?;
                    }
                }
            }
            Some(watermarks) => {
                while let Some(element) = self.output.pop() {
                    match element {
                        ReaderEmitted::Batch { split, batch } => {
                            self.metrics.add_out(batch.len());
                            watermarks.process_batch(split, batch, emit)?;
                        }
                        ReaderEmitted::SplitFinished(id) => watermarks.finish_split(&id),
                    }
                }
                watermarks.publish(emit)?;
            }
        }
        Ok(poll)
    }

    fn next_processing_time(&self) -> Option<Timestamp> {
        self.watermarks.as_ref().and_then(SplitWatermarks::next_processing_time)
    }

    fn on_processing_time(&mut self, now: Timestamp, emit: &mut dyn Emit) -> Result<()> {
        match &mut self.watermarks {
            Some(watermarks) => watermarks.on_processing_time(now, emit),
            None => Ok(()),
        }
    }

    fn snapshot_splits(&self) -> Result<Vec<u8>> {
        postcard::to_stdvec(&self.reader.snapshot_splits())
            .map_err(|e| Error::Internal(format!("cannot serialize the source's split positions: {e}")))
    }

    fn on_close(&mut self) -> Result<()> {
        self.reader.on_close()
    }
}

/// Runs a source subtask until its reader finishes (and, with checkpoints, until its final
/// checkpoint completed) or the job stops it for a savepoint. The caller closes reader and
/// chain.
pub(crate) fn run(
    reader: &mut dyn ErasedSourceReader,
    chain: &mut OperatorChain,
    env: &TaskEnvironment,
    mut checkpointing: Option<&mut TaskCheckpointing>,
    source_uid: &OperatorUid,
) -> Result<()> {
    chain.on_start()?;
    let mut stop = None;
    while stop.is_none() {
        if env.cancel.is_cancelled() {
            return Err(Error::Cancelled);
        }
        if let Some(ckpt) = checkpointing.as_deref_mut() {
            while let Ok(command) = ckpt.commands.try_recv() {
                stop = stop.or(on_command(command, reader, chain, ckpt, source_uid)?);
            }
            if stop.is_some() {
                break;
            }
            env.faults.check(FaultPoint::Processing, &ckpt.task_name, ckpt.task.subtask.0)?;
        }
        match reader.poll(env.batch_size, &mut chain.entry())? {
            SourcePoll::MoreAvailable => {
                fire_due_timers(reader, chain, env)?;
                env.flush_if_due(chain)?;
            }
            SourcePoll::NothingAvailable { retry_after } => {
                fire_due_timers(reader, chain, env)?;
                chain.writers().flush()?;
                let wait = until_next_timer(reader, chain, env).map_or(retry_after, |timer| timer.min(retry_after));
                match checkpointing.as_deref_mut() {
                    // Commands wake the wait; cancellation closes the command channel.
                    Some(ckpt) => match ckpt.commands.recv_timeout(wait) {
                        Ok(command) => stop = on_command(command, reader, chain, ckpt, source_uid)?,
                        Err(RecvTimeoutError::Timeout) => {}
                        Err(RecvTimeoutError::Disconnected) => {
                            if env.cancel.wait_timeout(wait) {
                                return Err(Error::Cancelled);
                            }
                        }
                    },
                    None => {
                        if env.cancel.wait_timeout(wait) {
                            return Err(Error::Cancelled);
                        }
                    }
                }
            }
            SourcePoll::Finished => break,
        }
    }
    // Read to the end, or stopped with a drain: everything fires and finishes, as at the end of
    // bounded input. Stopped without one: nothing fires; the position is where reading stopped.
    let (end, splits) = match stop {
        None => (InputEnd::Finished, empty_split_list()),
        Some(Stop { drain: true }) => (InputEnd::Finished, reader.snapshot_splits()?),
        Some(Stop { drain: false }) => (InputEnd::Stopped, reader.snapshot_splits()?),
    };
    if end == InputEnd::Finished {
        chain.handle_watermark(Watermark::MAX)?;
    }
    chain.on_end_of_input(InputSide::First, end)?;
    match checkpointing {
        Some(ckpt) => ckpt.finish(chain, Some(SourcePosition { uid: source_uid.clone(), splits })),
        None => Ok(()),
    }
}

/// Calls the reader's and the chain's processing-time callbacks that are due.
fn fire_due_timers(
    reader: &mut dyn ErasedSourceReader,
    chain: &mut OperatorChain,
    env: &TaskEnvironment,
) -> Result<()> {
    if let Some(at) = reader.next_processing_time() {
        let now = env.clock.now_millis();
        if now >= at {
            reader.on_processing_time(now, &mut chain.entry())?;
        }
    }
    env.fire_due_timers(chain)
}

/// How long until the reader's or the chain's next processing-time callback, if one is wanted.
fn until_next_timer(reader: &dyn ErasedSourceReader, chain: &OperatorChain, env: &TaskEnvironment) -> Option<Duration> {
    let reader_timer = reader
        .next_processing_time()
        .map(|at| Duration::from_millis(at.saturating_sub(env.clock.now_millis()).max(0) as u64));
    match (reader_timer, env.until_next_timer(chain)) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The job manager asked the source to stop reading for a savepoint.
#[derive(Clone, Copy)]
struct Stop {
    drain: bool,
}

/// A command from the job manager, between two polls; `Some` when it says to stop reading.
fn on_command(
    command: TaskCommand,
    reader: &mut dyn ErasedSourceReader,
    chain: &mut OperatorChain,
    ckpt: &mut TaskCheckpointing,
    source_uid: &OperatorUid,
) -> Result<Option<Stop>> {
    match command {
        TaskCommand::TriggerCheckpoint(info) => {
            let position = SourcePosition { uid: source_uid.clone(), splits: reader.snapshot_splits()? };
            ckpt.checkpoint(chain, info, Duration::ZERO, Some(position), false)?;
            Ok(None)
        }
        TaskCommand::Stop { drain } => Ok(Some(Stop { drain })),
        // The end of the job comes only after the inputs ended: a running source ignores it.
        other => ckpt.on_notification(chain, &other).map(|_| None),
    }
}
