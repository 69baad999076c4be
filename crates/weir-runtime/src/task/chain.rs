//! The operator chain of one subtask: operators fused into one task, each calling the next
//! directly (DESIGN §4). An element enters at the head and is pushed through every operator;
//! what the last operator emits goes to the chain's [`Writers`].
//!
//! The chain remembers which operator is running, so that an error or a panic can be reported
//! with the name of the operator that raised it, not just the task's.

use super::element::{AnyBatch, Emit, InputEnd};
use super::erased_operator::ErasedOperator;
use super::record_writer::{Control, Writers};
use std::cell::Cell;
use weir_core::operator::{InputSide, OperatorContext};
use weir_core::snapshot::{CheckpointInfo, StateSnapshot};
use weir_core::time::WatermarkStatus;
use weir_core::{Result, Timestamp, Watermark};

/// One operator of a chain with its context.
pub(crate) struct ChainLink {
    pub(crate) operator: Box<dyn ErasedOperator>,
    pub(crate) ctx: OperatorContext,
}

/// The operators of one subtask, head first, and where the last one's output goes.
pub(crate) struct OperatorChain {
    links: Vec<ChainLink>,
    writers: Writers,
    /// The operator currently running (an index into `links`); `None` while outside the chain
    /// (e.g. in the source reader).
    active: Cell<Option<usize>>,
    /// How many of the head's inputs have ended.
    ended_inputs: usize,
    head_inputs: usize,
}

impl OperatorChain {
    pub(crate) fn new(links: Vec<ChainLink>, writers: Writers) -> Self {
        let head_inputs = links.first().map_or(1, |l| l.operator.input_count());
        OperatorChain { links, writers, active: Cell::new(None), ended_inputs: 0, head_inputs }
    }

    /// Starts every operator, head first.
    pub(crate) fn on_start(&mut self) -> Result<()> {
        for (i, link) in self.links.iter_mut().enumerate() {
            self.active.set(Some(i));
            link.operator.on_start(&link.ctx)?;
        }
        self.active.set(None);
        Ok(())
    }

    /// The context of the operator that was running last, if the chain was running one.
    pub(crate) fn active_operator(&self) -> Option<&OperatorContext> {
        self.active.get().and_then(|i| self.links.get(i)).map(|l| &l.ctx)
    }

    /// Where a source emits: the head of the chain.
    pub(crate) fn entry(&mut self) -> Downstream<'_> {
        Downstream { links: &mut self.links, writers: &mut self.writers, active: &self.active, index: 0 }
    }

    pub(crate) fn process_batch(&mut self, side: InputSide, batch: AnyBatch) -> Result<()> {
        match self.links.split_first_mut() {
            None => self.writers.batch(batch),
            Some((head, rest)) => {
                self.active.set(Some(0));
                let mut next = Downstream { links: rest, writers: &mut self.writers, active: &self.active, index: 1 };
                head.operator.process_batch(side, batch, &mut next)
            }
        }
    }

    pub(crate) fn handle_watermark(&mut self, watermark: Watermark) -> Result<()> {
        self.entry().watermark(watermark)
    }

    /// Whether the input is idle passes down the chain, each operator emitting what it held
    /// back for this input first (a local pre-aggregation), and then on to the consumers.
    pub(crate) fn handle_watermark_status(&mut self, status: WatermarkStatus) -> Result<()> {
        self.entry().watermark_status(status)
    }

    /// The earliest processing time any operator of the chain wants to be called at.
    pub(crate) fn next_processing_time(&self) -> Option<Timestamp> {
        self.links.iter().filter_map(|l| l.operator.next_processing_time()).min()
    }

    /// Calls every operator whose processing-time callback is due, head first.
    pub(crate) fn on_processing_time(&mut self, now: Timestamp) -> Result<()> {
        for i in 0..self.links.len() {
            if self.links[i].operator.next_processing_time().is_some_and(|t| t <= now) {
                let (before, after) = self.links.split_at_mut(i + 1);
                self.active.set(Some(i));
                let mut next =
                    Downstream { links: after, writers: &mut self.writers, active: &self.active, index: i + 1 };
                before[i].operator.on_processing_time(now, &mut next)?;
            }
        }
        self.active.set(None);
        Ok(())
    }

    /// One input of the head ended. When all have, end-of-input passes down the chain, each
    /// operator emitting what it held back, and then on to every consumer. An input
    /// [`InputEnd::Stopped`] for a savepoint reaches no operator, only the consumers.
    pub(crate) fn on_end_of_input(&mut self, side: InputSide, end: InputEnd) -> Result<()> {
        self.ended_inputs += 1;
        let all_ended = self.ended_inputs >= self.head_inputs;
        // A stop without drain tells no operator: their state is the savepoint's.
        let operators = if end == InputEnd::Finished { self.links.len() } else { 0 };
        for i in 0..operators {
            if i > 0 && !all_ended {
                break;
            }
            let (before, after) = self.links.split_at_mut(i + 1);
            let link = &mut before[i];
            self.active.set(Some(i));
            let mut next = Downstream { links: after, writers: &mut self.writers, active: &self.active, index: i + 1 };
            link.operator.on_end_of_input(if i == 0 { side } else { InputSide::First }, &mut next)?;
        }
        self.active.set(None);
        if all_ended {
            self.writers.control(Control::EndOfInput(end))?;
        }
        Ok(())
    }

    /// The synchronous part of checkpoint `info` on this chain: every operator snapshots, head
    /// first (what one emits while snapshotting reaches the next before the next snapshots).
    pub(crate) fn snapshot_state(&mut self, info: &CheckpointInfo) -> Result<Vec<Option<StateSnapshot>>> {
        let mut snapshots = Vec::with_capacity(self.links.len());
        for i in 0..self.links.len() {
            let (before, after) = self.links.split_at_mut(i + 1);
            self.active.set(Some(i));
            let mut next = Downstream { links: after, writers: &mut self.writers, active: &self.active, index: i + 1 };
            snapshots.push(before[i].operator.snapshot_state(info, &mut next)?);
        }
        self.active.set(None);
        Ok(snapshots)
    }

    /// Sends barrier `info` to every consumer, behind the data that preceded it. (It may wait
    /// for room in a full channel: backpressure, not part of the snapshot's pause.)
    pub(crate) fn forward_barrier(&mut self, info: &CheckpointInfo) -> Result<()> {
        self.writers.control(Control::Barrier(*info))
    }

    /// Checkpoint `id` completed (`true`) or was aborted: tells every operator, head first.
    pub(crate) fn notify_checkpoint(&mut self, id: u64, completed: bool) -> Result<()> {
        for (i, link) in self.links.iter_mut().enumerate() {
            self.active.set(Some(i));
            if completed {
                link.operator.notify_checkpoint_complete(id)?;
            } else {
                link.operator.notify_checkpoint_aborted(id)?;
            }
        }
        self.active.set(None);
        Ok(())
    }

    /// The contexts of the chained operators, head first.
    pub(crate) fn contexts(&self) -> impl Iterator<Item = &OperatorContext> {
        self.links.iter().map(|l| &l.ctx)
    }

    /// Closes every operator (also after a failure); returns the first error.
    pub(crate) fn on_close(&mut self) -> Result<()> {
        let mut first_error = Ok(());
        for (i, link) in self.links.iter_mut().enumerate() {
            self.active.set(Some(i));
            let closed = link.operator.on_close();
            if first_error.is_ok() {
                first_error = closed;
            }
        }
        self.active.set(None);
        first_error
    }

    pub(crate) fn writers(&mut self) -> &mut Writers {
        &mut self.writers
    }
}

/// The rest of a chain from one operator on: what an operator emits into.
pub(crate) struct Downstream<'a> {
    links: &'a mut [ChainLink],
    writers: &'a mut Writers,
    active: &'a Cell<Option<usize>>,
    /// The index in the chain of `links[0]`.
    index: usize,
}

impl Downstream<'_> {
    /// The operator that emitted into this downstream, restored as active after the call.
    fn caller(&self) -> Option<usize> {
        self.index.checked_sub(1)
    }
}

impl Emit for Downstream<'_> {
    fn batch(&mut self, batch: AnyBatch) -> Result<()> {
        let caller = self.caller();
        let result = match self.links.split_first_mut() {
            None => self.writers.batch(batch),
            Some((head, rest)) => {
                self.active.set(Some(self.index));
                let mut next =
                    Downstream { links: rest, writers: self.writers, active: self.active, index: self.index + 1 };
                head.operator.process_batch(InputSide::First, batch, &mut next)
            }
        };
        if result.is_ok() {
            self.active.set(caller);
        }
        result
    }

    fn watermark_status(&mut self, status: WatermarkStatus) -> Result<()> {
        let caller = self.caller();
        let result = match self.links.split_first_mut() {
            None => self.writers.control(Control::WatermarkStatus(status)),
            Some((head, rest)) => {
                self.active.set(Some(self.index));
                let mut next =
                    Downstream { links: rest, writers: self.writers, active: self.active, index: self.index + 1 };
                head.operator.handle_watermark_status(status, &mut next)
            }
        };
        if result.is_ok() {
            self.active.set(caller);
        }
        result
    }

    /// Side outputs leave the chain: an operator whose side output is consumed is always the
    /// chain's last (such edges are never chained). Side records of an operator further up had
    /// no consumer and are dropped.
    fn side_batch(&mut self, tag: &str, batch: AnyBatch) -> Result<()> {
        if self.links.is_empty() { self.writers.side_batch(tag, batch) } else { Ok(()) }
    }

    fn watermark(&mut self, watermark: Watermark) -> Result<()> {
        let caller = self.caller();
        let result = match self.links.split_first_mut() {
            None => self.writers.watermark(watermark),
            Some((head, rest)) => {
                self.active.set(Some(self.index));
                let mut next =
                    Downstream { links: rest, writers: self.writers, active: self.active, index: self.index + 1 };
                head.operator.handle_watermark(watermark, &mut next)
            }
        };
        if result.is_ok() {
            self.active.set(caller);
        }
        result
    }
}
