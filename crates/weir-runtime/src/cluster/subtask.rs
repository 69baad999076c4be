//! One deployed subtask: what its thread is given, and the thread's body — build the chain on
//! the thread, run it, close it, and report how it ended, naming the operator that failed.

use crate::checkpointing::alignment::AlignmentMode;
use crate::checkpointing::messages::{JobMessage, TaskCommand};
use crate::checkpointing::snapshot_thread::SnapshotJob;
use crate::checkpointing::task_side::TaskCheckpointing;
use crate::error::{FailureCause, TaskFailure};
use crate::graph::execution_graph::SubtaskChannels;
use crate::task::chain::{ChainLink, OperatorChain};
use crate::task::erased_operator::OperatorFactory;
use crate::task::input_gate::InputGate;
use crate::task::metrics::OperatorMetrics;
use crate::task::record_writer::{RecordWriter, WriterSetup, Writers};
use crate::task::source_task::{self, ErasedSource, ErasedSourceReader, SplitAssignment};
use crate::task::stream_task::{self, TaskEnvironment};
use crossbeam_channel::{Receiver, Sender};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use weir_checkpoint::TaskKey;
use weir_core::operator::OperatorContext;
use weir_core::{Error, Result};

/// The source at the head of a source subtask.
pub(crate) struct SourceHead {
    pub(crate) source: Arc<dyn ErasedSource>,
    pub(crate) ctx: OperatorContext,
    pub(crate) splits: SplitAssignment,
    pub(crate) metrics: Arc<OperatorMetrics>,
}

/// One chained operator to instantiate on the subtask's thread.
pub(crate) struct OperatorSpec {
    pub(crate) factory: OperatorFactory,
    pub(crate) ctx: OperatorContext,
    pub(crate) metrics: Arc<OperatorMetrics>,
}

/// Everything one subtask's thread needs.
pub(crate) struct SubtaskPlan {
    /// The chained task's name, e.g. `Source: DataGen -> Map`.
    pub(crate) task_name: String,
    pub(crate) subtask: usize,
    pub(crate) parallelism: usize,
    pub(crate) max_parallelism: usize,
    pub(crate) source: Option<SourceHead>,
    pub(crate) operators: Vec<OperatorSpec>,
    pub(crate) channels: SubtaskChannels,
    pub(crate) env: TaskEnvironment,
    /// The subtask's part in checkpoints, when the job takes them.
    pub(crate) checkpointing: Option<SubtaskCheckpointing>,
}

/// What a subtask of a checkpointed job is given.
pub(crate) struct SubtaskCheckpointing {
    pub(crate) task: TaskKey,
    pub(crate) mode: AlignmentMode,
    pub(crate) commands: Receiver<TaskCommand>,
    pub(crate) reports: Sender<JobMessage>,
    pub(crate) snapshots: Sender<SnapshotJob>,
}

impl SubtaskPlan {
    fn failure(&self, operator: &str, cause: FailureCause) -> TaskFailure {
        TaskFailure {
            operator: operator.to_string(),
            task: self.task_name.clone(),
            subtask: self.subtask,
            parallelism: self.parallelism,
            cause,
        }
    }

    /// The name of the chain's first operator (the source, if any).
    fn head_name(&self) -> &str {
        match (&self.source, self.operators.first()) {
            (Some(source), _) => &source.ctx.operator_name,
            (None, Some(op)) => &op.ctx.operator_name,
            (None, None) => &self.task_name,
        }
    }
}

/// Runs a subtask to its end. Never panics: a panic in user code becomes a failure.
pub(crate) fn run_subtask(mut plan: SubtaskPlan) -> std::result::Result<(), TaskFailure> {
    let head = plan.head_name().to_string();
    // A source's position is snapshotted under its uid.
    let source_uid = plan.source.as_ref().map(|s| s.ctx.uid.clone());
    let built = catch_unwind(AssertUnwindSafe(|| build(&mut plan)));
    let (mut chain, mut reader, gate, mut checkpointing) = match built {
        Ok(Ok(parts)) => parts,
        Ok(Err(error)) => return Err(plan.failure(&head, FailureCause::Error(error))),
        Err(panic) => return Err(plan.failure(&head, FailureCause::Panic(panic_message(&*panic)))),
    };

    let ran = catch_unwind(AssertUnwindSafe(|| match (&mut reader, gate, &source_uid) {
        (Some(reader), _, Some(uid)) => {
            source_task::run(reader.as_mut(), &mut chain, &plan.env, checkpointing.as_mut(), uid)
        }
        (None, Some(mut gate), _) => stream_task::run(&mut chain, &mut gate, &plan.env, checkpointing.as_mut()),
        (Some(_), _, None) => Err(Error::Internal("a source task without its source's uid".into())),
        (None, None, _) => Err(Error::Internal("a task with neither a source nor inputs".into())),
    }));
    // Which operator was running when it ended; a source reader runs outside the chain.
    let culprit = chain.active_operator().map_or(head.clone(), |ctx| ctx.operator_name.clone());
    let closed = catch_unwind(AssertUnwindSafe(|| {
        let reader_closed = reader.as_mut().map_or(Ok(()), |r| r.on_close());
        let chain_closed = chain.on_close();
        reader_closed.and(chain_closed)
    }));

    match ran {
        Err(panic) => Err(plan.failure(&culprit, FailureCause::Panic(panic_message(&*panic)))),
        Ok(Err(error)) => Err(plan.failure(&culprit, FailureCause::Error(error))),
        Ok(Ok(())) => match closed {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => Err(plan.failure(&head, FailureCause::Error(error))),
            Err(panic) => Err(plan.failure(&head, FailureCause::Panic(panic_message(&*panic)))),
        },
    }
}

type Parts = (OperatorChain, Option<Box<dyn ErasedSourceReader>>, Option<InputGate>, Option<TaskCheckpointing>);

/// Instantiates the subtask's operators, writers and reader on its own thread.
fn build(plan: &mut SubtaskPlan) -> Result<Parts> {
    let setup = WriterSetup {
        batch_size: plan.env.batch_size,
        max_parallelism: plan.max_parallelism,
        producer_index: plan.subtask,
        task_name: format!("{} ({}/{})", plan.task_name, plan.subtask + 1, plan.parallelism),
    };
    let writers: Vec<(Option<String>, Box<dyn RecordWriter>)> = std::mem::take(&mut plan.channels.outputs)
        .into_iter()
        .map(|edge| Ok((edge.output_tag, edge.writer.create(edge.partition, edge.channels, &setup)?)))
        .collect::<Result<_>>()?;
    let links = plan
        .operators
        .iter()
        .map(|spec| {
            let mut operator = (spec.factory)();
            operator.attach_metrics(Arc::clone(&spec.metrics));
            ChainLink { operator, ctx: spec.ctx.clone() }
        })
        .collect();
    let chain = OperatorChain::new(links, Writers::new(writers));
    let inputs = std::mem::take(&mut plan.channels.inputs);
    let task_name = format!("{} ({}/{})", plan.task_name, plan.subtask + 1, plan.parallelism);
    let setup = plan.checkpointing.take();
    let checkpointing = setup.as_ref().map(|c| {
        TaskCheckpointing::new(
            c.task,
            task_name.clone(),
            c.commands.clone(),
            c.reports.clone(),
            c.snapshots.clone(),
            plan.env.faults.clone(),
        )
    });
    match plan.source.take() {
        Some(head) => {
            let reader = head.source.create_reader(&head.ctx, head.splits, head.metrics)?;
            Ok((chain, Some(reader), None, checkpointing))
        }
        None => {
            let mut gate = InputGate::new(inputs).with_spin(plan.env.spin_before_blocking);
            if let Some(setup) = setup {
                gate = gate.with_checkpointing(setup.mode, setup.commands);
            }
            Ok((chain, None, Some(gate), checkpointing))
        }
    }
}

/// The message of a panic payload.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic with a non-text payload".to_string()
    }
}
