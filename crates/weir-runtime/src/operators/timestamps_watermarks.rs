//! The timestamps-and-watermarks operator: applies a [`WatermarkStrategy`] to a stream, with one
//! generator per subtask (`assign_timestamps_and_watermarks`; a strategy given at the source
//! runs in the source subtask instead, one generator per split: `task::split_watermarks`).
//!
//! It stamps every record, feeds the timestamps to the strategy's generator, emits what the
//! generator emits (punctuated after the batch, periodic every `pipeline.auto-watermark-interval`
//! of processing time), and reports idleness. Watermarks from upstream are dropped — this
//! operator is where the stream's event time is defined — except the final one of a bounded
//! input, which passes so every window and timer downstream fires.

use crate::api::watermark_strategy::{Generated, Stamped, WatermarkStrategy};
use crate::config::AUTO_WATERMARK_INTERVAL;
use std::sync::Arc;
use weir_core::clock::Clock;
use weir_core::operator::{OneInputOperator, OperatorContext};
use weir_core::record::Batch;
use weir_core::time::WatermarkStatus;
use weir_core::watermark::{WatermarkGenerator, WatermarkOutput};
use weir_core::{Error, Output, Result, Timestamp, Watermark};

pub(crate) struct TimestampsAndWatermarksOperator<T> {
    strategy: WatermarkStrategy<T>,
    generator: Option<Box<dyn WatermarkGenerator<T>>>,
    clock: Option<Arc<dyn Clock>>,
    /// Milliseconds between periodic emissions; `None` when periodic emission is off.
    interval: Option<i64>,
    next_emit: Option<Timestamp>,
    emitted: Watermark,
    status: WatermarkStatus,
    generated: WatermarkOutput,
}

impl<T> TimestampsAndWatermarksOperator<T> {
    pub(crate) fn new(strategy: WatermarkStrategy<T>) -> Self {
        TimestampsAndWatermarksOperator {
            strategy,
            generator: None,
            clock: None,
            interval: None,
            next_emit: None,
            emitted: Watermark::MIN,
            status: WatermarkStatus::Active,
            generated: WatermarkOutput::new(),
        }
    }

    /// Emits what the generator produced: a status change, then a watermark that moves forward.
    fn publish<Out>(&mut self, out: &mut Output<Out>) {
        let generated = self.generated.take();
        self.publish_taken(generated, out);
    }

    fn publish_taken<Out>(&mut self, (watermark, status): Generated, out: &mut Output<Out>) {
        if let Some(status) = status
            && status != self.status
        {
            self.status = status;
            out.emit_watermark_status(status);
        }
        if let Some(watermark) = watermark
            && watermark > self.emitted
        {
            self.emitted = watermark;
            out.emit_watermark(watermark);
        }
    }
}

impl<T: Send + 'static> OneInputOperator<T, T> for TimestampsAndWatermarksOperator<T> {
    fn on_start(&mut self, ctx: &OperatorContext) -> Result<()> {
        let interval = ctx.config.get(&AUTO_WATERMARK_INTERVAL)?;
        self.generator = Some(self.strategy.create_generator(&ctx.clock));
        self.interval = (!interval.is_zero()).then(|| interval.as_millis().max(1) as i64);
        self.next_emit = self.interval.map(|i| ctx.clock.now_millis() + i);
        self.clock = Some(Arc::clone(&ctx.clock));
        Ok(())
    }

    fn process_batch(&mut self, batch: Batch<T>, out: &mut Output<T>) -> Result<()> {
        let (Some(generator), Some(clock)) = (self.generator.as_mut(), self.clock.as_ref()) else {
            return Err(Error::Internal("watermark generator used before on_start".into()));
        };
        for piece in self.strategy.stamp(batch, generator.as_mut(), clock.as_ref()) {
            match piece {
                Stamped::Records(records) => out.emit_batch(records),
                Stamped::Generated(generated) => self.publish_taken(generated, out),
            }
        }
        Ok(())
    }

    fn handle_watermark(&mut self, watermark: Watermark, out: &mut Output<T>) -> Result<()> {
        if watermark == Watermark::MAX && self.emitted < Watermark::MAX {
            self.emitted = Watermark::MAX;
            out.emit_watermark(Watermark::MAX);
        }
        Ok(())
    }

    fn next_processing_time(&self) -> Option<Timestamp> {
        self.next_emit
    }

    fn on_processing_time(&mut self, now: Timestamp, out: &mut Output<T>) -> Result<()> {
        if let Some(generator) = self.generator.as_mut() {
            generator.on_periodic_emit(&mut self.generated);
        }
        self.publish(out);
        self.next_emit = self.interval.map(|i| now + i);
        Ok(())
    }
}

#[cfg(test)]
mod tests;
