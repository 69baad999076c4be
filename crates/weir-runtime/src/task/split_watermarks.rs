//! Per-split watermarks in a source subtask: a [`WatermarkStrategy`] given at the source
//! (`from_source_with_watermarks`, Flink's `fromSource(source, strategy, name)` with FLIP-27's
//! split-local outputs) runs here, between the reader and the chain.
//!
//! Every split the subtask is given gets a watermark generator of its own (wrapped for idleness
//! if the strategy asks), registered at [`Watermark::MIN`] before the reader's first poll, so
//! that a split not read yet — a restored one included — holds the subtask's watermark back
//! until its own records moved it. Each record is stamped and fed to its split's generator
//! (punctuated generators emit right after it); periodic generators are asked every
//! `pipeline.auto-watermark-interval`. A [`SplitWatermarkCombiner`] turns the splits' watermarks
//! and idleness into the subtask's: the minimum over splits that are active and not finished,
//! never backwards; idle when no split is active (none assigned or all idle), but not when all
//! finished (the reader is about to finish: see the combiner's docs).
//!
//! It is **not** checkpointed (Flink does not either): after a restore every split starts again
//! from `MIN`. It is **not** the final watermark either: the source loop emits that when the
//! reader finishes. `assign_timestamps_and_watermarks` further down keeps its per-subtask
//! meaning (`operators::timestamps_watermarks`).

use super::element::Emit;
use crate::api::watermark_strategy::{Stamped, WatermarkStrategy};
use crate::config::AUTO_WATERMARK_INTERVAL;
use std::collections::HashMap;
use std::sync::Arc;
use weir_core::clock::Clock;
use weir_core::operator::OperatorContext;
use weir_core::record::Batch;
use weir_core::source::SplitId;
use weir_core::watermark::{SplitWatermarkCombiner, WatermarkGenerator, WatermarkOutput};
use weir_core::{Error, Result, Timestamp};

/// The watermark generators of one source subtask's splits and their combination.
pub(crate) struct SplitWatermarks<T> {
    strategy: WatermarkStrategy<T>,
    clock: Arc<dyn Clock>,
    /// Milliseconds between periodic emissions; `None` when periodic emission is off.
    interval: Option<i64>,
    next_emit: Option<Timestamp>,
    generators: HashMap<SplitId, Box<dyn WatermarkGenerator<T>>>,
    combiner: SplitWatermarkCombiner<SplitId>,
}

impl<T: Send + 'static> SplitWatermarks<T> {
    pub(crate) fn new(strategy: WatermarkStrategy<T>, ctx: &OperatorContext) -> Result<Self> {
        let interval = ctx.config.get(&AUTO_WATERMARK_INTERVAL)?;
        let interval = (!interval.is_zero()).then(|| interval.as_millis().max(1) as i64);
        Ok(SplitWatermarks {
            strategy,
            clock: Arc::clone(&ctx.clock),
            interval,
            next_emit: interval.map(|i| ctx.clock.now_millis() + i),
            generators: HashMap::new(),
            combiner: SplitWatermarkCombiner::new(),
        })
    }

    /// A split handed to the reader: it holds the watermark at `MIN` until its records move it.
    pub(crate) fn add_split(&mut self, id: SplitId) {
        if !self.generators.contains_key(&id) {
            self.generators.insert(id.clone(), self.strategy.create_generator(&self.clock));
            self.combiner.add_split(id);
        }
    }

    /// Records of split `split`: stamped, fed to the split's generator, passed on, with what the
    /// generator emitted published right after the record it emitted on.
    pub(crate) fn process_batch(&mut self, split: Option<SplitId>, batch: Batch<T>, emit: &mut dyn Emit) -> Result<()> {
        let split =
            split.ok_or_else(|| Error::Internal("a per-split reader output emitted untagged records".into()))?;
        if !self.generators.contains_key(&split) {
            // Not handed over through `add_splits` (a reader's own sub-split): counted from now.
            self.add_split(split.clone());
        }
        let generator = self.generators.get_mut(&split).expect("added above");
        for piece in self.strategy.stamp(batch, generator.as_mut(), self.clock.as_ref()) {
            match piece {
                Stamped::Records(records) => {
                    if !records.is_empty() {
                        emit.batch(Box::new(records))?;
                    }
                }
                Stamped::Generated((watermark, status)) => {
                    self.combiner.on_split_output(&split, watermark, status);
                    self.publish(emit)?;
                }
            }
        }
        Ok(())
    }

    /// Split `id` is done: it no longer holds the watermark back.
    pub(crate) fn finish_split(&mut self, id: &SplitId) {
        self.generators.remove(id);
        self.combiner.finish_split(id);
    }

    /// Publishes the change of the subtask's status and watermark since the last call, if any.
    pub(crate) fn publish(&mut self, emit: &mut dyn Emit) -> Result<()> {
        let change = self.combiner.combine();
        if let Some(status) = change.status {
            emit.watermark_status(status)?;
        }
        if let Some(watermark) = change.watermark {
            emit.watermark(watermark)?;
        }
        Ok(())
    }

    /// When the periodic emission is due, if it is on.
    pub(crate) fn next_processing_time(&self) -> Option<Timestamp> {
        self.next_emit
    }

    /// The periodic emission: every split's generator is asked, then the combination published.
    pub(crate) fn on_processing_time(&mut self, now: Timestamp, emit: &mut dyn Emit) -> Result<()> {
        let mut generated = WatermarkOutput::new();
        for (id, generator) in &mut self.generators {
            generator.on_periodic_emit(&mut generated);
            let (watermark, status) = generated.take();
            self.combiner.on_split_output(id, watermark, status);
        }
        self.next_emit = self.interval.map(|i| now + i);
        self.publish(emit)
    }
}

#[cfg(test)]
mod tests;
