//! Watermark generation: how a stream's event time advances.
//!
//! A [`WatermarkGenerator`] sees every record's timestamp ([`WatermarkGenerator::on_event`]) and
//! is asked periodically for a watermark ([`WatermarkGenerator::on_periodic_emit`], every
//! `pipeline.auto-watermark-interval`); it emits through a [`WatermarkOutput`], and may mark its
//! stream idle so downstream operators stop waiting for it.
//!
//! The generators here are pure (time comes in through a [`Clock`](crate::clock::Clock) where it
//! is needed at all); the runtime drives them: its timestamps-and-watermarks operator one per
//! subtask, a source with a strategy one per split, combined by a [`SplitWatermarkCombiner`].
//!
//! It is **not** where timestamps are assigned or watermarks forwarded: that is the runtime.

mod bounded;
mod idleness;
mod split_combiner;

pub use bounded::{BoundedOutOfOrderness, NoWatermarks};
pub use idleness::WithIdleness;
pub use split_combiner::{SplitWatermarkCombiner, WatermarkChange};

use crate::time::{Timestamp, Watermark, WatermarkStatus};

/// Generates watermarks from the timestamps of a stream.
pub trait WatermarkGenerator<T>: Send {
    /// A record with this timestamp passed. Punctuated generators emit here.
    fn on_event(&mut self, event: &T, timestamp: Timestamp, output: &mut WatermarkOutput);

    /// The periodic call. Periodic generators emit here.
    fn on_periodic_emit(&mut self, output: &mut WatermarkOutput);
}

/// What a generator emitted during one call.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct WatermarkOutput {
    watermark: Option<Watermark>,
    status: Option<WatermarkStatus>,
}

impl WatermarkOutput {
    pub fn new() -> Self {
        Self::default()
    }

    /// Emits a watermark; the stream is active again. Lower watermarks than one already
    /// emitted are ignored by the runtime (watermarks never go backwards).
    pub fn emit_watermark(&mut self, watermark: Watermark) {
        self.watermark = Some(self.watermark.map_or(watermark, |w| w.max(watermark)));
        self.status = Some(WatermarkStatus::Active);
    }

    /// The stream will have no data for a while: don't hold back event time for it.
    pub fn mark_idle(&mut self) {
        self.status = Some(WatermarkStatus::Idle);
    }

    /// The stream has data again.
    pub fn mark_active(&mut self) {
        self.status = Some(WatermarkStatus::Active);
    }

    /// Takes what was emitted: the highest watermark and the last status change.
    pub fn take(&mut self) -> (Option<Watermark>, Option<WatermarkStatus>) {
        (self.watermark.take(), self.status.take())
    }
}

impl<T> WatermarkGenerator<T> for Box<dyn WatermarkGenerator<T>> {
    fn on_event(&mut self, event: &T, timestamp: Timestamp, output: &mut WatermarkOutput) {
        (**self).on_event(event, timestamp, output);
    }

    fn on_periodic_emit(&mut self, output: &mut WatermarkOutput) {
        (**self).on_periodic_emit(output);
    }
}
