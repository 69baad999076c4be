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

use super::chain::OperatorChain;
use super::element::{Emit, InputEnd};
use super::metrics::OperatorMetrics;
use super::stream_task::TaskEnvironment;
use crate::checkpointing::messages::TaskCommand;
use crate::checkpointing::task_side::{SourcePosition, TaskCheckpointing, empty_split_list};
use crate::faults::FaultPoint;
use crossbeam_channel::RecvTimeoutError;
use std::any::Any;
use std::sync::Arc;
use std::time::Duration;
use weir_core::operator::{InputSide, OperatorContext};
use weir_core::output::{Emitted, Output};
use weir_core::source::{Source, SourcePoll, SourceReader};
use weir_core::{Data, Error, OperatorUid, Result, Watermark};

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
    /// The unfinished splits with their positions, serialized (postcard): a checkpoint's
    /// record of where this subtask is.
    fn snapshot_splits(&self) -> Result<Vec<u8>>;
    fn on_close(&mut self) -> Result<()>;
}

pub(crate) struct SourceAdapter<T, S> {
    source: S,
    _records: std::marker::PhantomData<fn() -> T>,
}

impl<T: Data, S: Source<T>> SourceAdapter<T, S> {
    pub(crate) fn new(source: S) -> Self {
        SourceAdapter { source, _records: std::marker::PhantomData }
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
        reader.add_splits(*splits)?;
        Ok(Box::new(ReaderAdapter { reader, output: Output::new(), metrics }))
    }
}

struct ReaderAdapter<T, S> {
    reader: Box<dyn SourceReader<T, S>>,
    output: Output<T>,
    metrics: Arc<OperatorMetrics>,
}

impl<T: Data, S: Data> ErasedSourceReader for ReaderAdapter<T, S> {
    fn poll(&mut self, max_records: usize, emit: &mut dyn Emit) -> Result<SourcePoll> {
        let poll = self.reader.poll_next(&mut self.output, max_records)?;
        while let Some(element) = self.output.pop() {
            match element {
                Emitted::Batch(batch) => {
                    self.metrics.add_out(batch.len());
                    emit.batch(Box::new(batch))?;
                }
                Emitted::Watermark(watermark) => emit.watermark(watermark)?,
                Emitted::WatermarkStatus(status) => emit.watermark_status(status)?,
                Emitted::Side { tag, batch } => emit.side_batch(&tag, batch)?,
            }
        }
        Ok(poll)
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
                env.fire_due_timers(chain)?;
                env.flush_if_due(chain)?;
            }
            SourcePoll::NothingAvailable { retry_after } => {
                env.fire_due_timers(chain)?;
                chain.writers().flush()?;
                let wait = env.until_next_timer(chain).map_or(retry_after, |timer| timer.min(retry_after));
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
