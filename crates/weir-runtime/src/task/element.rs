//! Type-erased elements: what flows between operators of a chain and over channels.

use std::any::Any;
use weir_core::record::Batch;
use weir_core::snapshot::CheckpointInfo;
use weir_core::time::{Watermark, WatermarkStatus};

/// A `Batch<T>` whose `T` the holder does not know; the typed code at either end downcasts it.
pub(crate) type AnyBatch = Box<dyn Any + Send>;

/// An element on a channel between two subtasks. Control elements are in-band: a consumer sees
/// them in the order the producer sent them relative to the data.
pub(crate) enum ChannelElement {
    Batch(AnyBatch),
    Watermark(Watermark),
    WatermarkStatus(WatermarkStatus),
    /// A checkpoint barrier: everything before it belongs to the checkpoint's snapshot.
    Barrier(CheckpointInfo),
    /// The producer will send nothing more on this channel, for this reason.
    EndOfInput(InputEnd),
}

/// Why an input ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InputEnd {
    /// The input is complete (bounded input, or a job stopped with `--drain`): operators are
    /// told, so they emit what they held back and finish.
    Finished,
    /// The job is stopping for a savepoint without draining (Flink's `stop` without `--drain`):
    /// the input stops here for now, operators are not told, and their state goes into the
    /// savepoint as it is, to go on from when the job is restored.
    Stopped,
}

/// Downcasts an erased batch to its type; a mismatch is a bug in graph building.
pub(crate) fn downcast_batch<T: 'static>(batch: AnyBatch, at: &str) -> weir_core::Result<Batch<T>> {
    batch.downcast::<Batch<T>>().map(|b| *b).map_err(|_| {
        weir_core::Error::Internal(format!(
            "{at} received a batch of an unexpected type (expected {})",
            std::any::type_name::<T>()
        ))
    })
}

/// Receives what an operator emits: the rest of its chain, or the chain's writers.
pub(crate) trait Emit {
    fn batch(&mut self, batch: AnyBatch) -> weir_core::Result<()>;
    fn watermark(&mut self, watermark: Watermark) -> weir_core::Result<()>;
    fn watermark_status(&mut self, status: WatermarkStatus) -> weir_core::Result<()>;
    /// A batch of the side output `tag` (a `Batch<S>` of the tag's type).
    fn side_batch(&mut self, tag: &str, batch: AnyBatch) -> weir_core::Result<()>;
}
