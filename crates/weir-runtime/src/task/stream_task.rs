//! The loop of a subtask that reads from an input gate: take the next element, push it through
//! the chain, and flush output buffers whose records waited for the buffer timeout.

use super::cancel::CancelToken;
use super::chain::OperatorChain;
use super::input_gate::{GateEvent, InputGate};
use crate::checkpointing::task_side::TaskCheckpointing;
use crate::faults::{FaultPoint, Faults};
use std::sync::Arc;
use std::time::{Duration, Instant};
use weir_checkpoint::DeclineReason;
use weir_core::clock::Clock;
use weir_core::{Error, Result};

/// What every task loop needs from its job.
#[derive(Clone)]
pub(crate) struct TaskEnvironment {
    pub(crate) cancel: CancelToken,
    /// How long a record may wait in a partly filled batch; `None` flushes only full batches;
    /// zero flushes after every input element.
    pub(crate) buffer_timeout: Option<Duration>,
    /// Records per batch a source is asked for.
    pub(crate) batch_size: usize,
    /// Whether input gates spin (rather than yield) while polling before they block: only when
    /// the job has no more subtask threads than the machine has cores.
    pub(crate) spin_before_blocking: bool,
    /// Processing time, for operators' processing-time callbacks.
    pub(crate) clock: Arc<dyn Clock>,
    /// Where tests inject failures.
    pub(crate) faults: Faults,
}

impl TaskEnvironment {
    /// When the oldest buffered record must be flushed, if any is waiting.
    pub(crate) fn flush_deadline(&self, chain: &mut OperatorChain) -> Option<Instant> {
        let since = chain.writers().pending_since()?;
        self.buffer_timeout.map(|timeout| since + timeout)
    }

    /// How long until an operator's processing-time callback is due, if one is wanted.
    pub(crate) fn until_next_timer(&self, chain: &OperatorChain) -> Option<Duration> {
        let at = chain.next_processing_time()?;
        Some(Duration::from_millis(at.saturating_sub(self.clock.now_millis()).max(0) as u64))
    }

    /// The moment the task must wake up even without input: a flush or a timer.
    pub(crate) fn wake_deadline(&self, chain: &mut OperatorChain) -> Option<Instant> {
        let timer = self.until_next_timer(chain).map(|d| Instant::now() + d);
        match (self.flush_deadline(chain), timer) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Calls the operators whose processing-time callbacks are due.
    pub(crate) fn fire_due_timers(&self, chain: &mut OperatorChain) -> Result<()> {
        if let Some(at) = chain.next_processing_time() {
            let now = self.clock.now_millis();
            if now >= at {
                chain.on_processing_time(now)?;
            }
        }
        Ok(())
    }

    /// Flushes if the oldest buffered record waited long enough.
    pub(crate) fn flush_if_due(&self, chain: &mut OperatorChain) -> Result<()> {
        if let Some(deadline) = self.flush_deadline(chain)
            && Instant::now() >= deadline
        {
            chain.writers().flush()?;
        }
        Ok(())
    }
}

/// Runs a non-source subtask until its inputs end (and, with checkpoints, until its final
/// checkpoint completed). The caller closes the chain.
pub(crate) fn run(
    chain: &mut OperatorChain,
    gate: &mut InputGate,
    env: &TaskEnvironment,
    mut checkpointing: Option<&mut TaskCheckpointing>,
) -> Result<()> {
    chain.on_start()?;
    loop {
        if env.cancel.is_cancelled() {
            return Err(Error::Cancelled);
        }
        match gate.next(env.wake_deadline(chain))? {
            GateEvent::Batch(side, batch) => {
                if let Some(ckpt) = checkpointing.as_deref() {
                    let point = if gate.aligning().is_some() { FaultPoint::Alignment } else { FaultPoint::Processing };
                    env.faults.check(point, &ckpt.task_name, ckpt.task.subtask.0)?;
                }
                chain.process_batch(side, batch)?
            }
            GateEvent::Watermark(watermark) => chain.handle_watermark(watermark)?,
            GateEvent::WatermarkStatus(status) => chain.handle_watermark_status(status)?,
            GateEvent::EndOfInput(side, end) => chain.on_end_of_input(side, end)?,
            GateEvent::Barrier { info, alignment } => {
                if let Some(ckpt) = checkpointing.as_deref_mut() {
                    ckpt.checkpoint(chain, info, alignment, None, false)?;
                }
            }
            GateEvent::AlignmentAborted { id } => {
                if let Some(ckpt) = checkpointing.as_deref_mut() {
                    ckpt.decline(id, DeclineReason::Subsumed);
                }
            }
            GateEvent::Command(command) => {
                if let Some(ckpt) = checkpointing.as_deref_mut() {
                    // Only subtasks whose inputs ended are triggered directly (a running one gets
                    // barriers through its inputs), and the end of the job comes after that.
                    ckpt.on_notification(chain, &command)?;
                }
            }
            GateEvent::Finished => {
                return match checkpointing {
                    Some(ckpt) => ckpt.finish(chain, None),
                    None => Ok(()),
                };
            }
            GateEvent::TimedOut => {}
        }
        env.fire_due_timers(chain)?;
        env.flush_if_due(chain)?;
    }
}
