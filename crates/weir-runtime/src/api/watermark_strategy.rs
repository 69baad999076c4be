//! `WatermarkStrategy`: how a stream gets its event timestamps and watermarks (Flink's
//! `WatermarkStrategy`), set on a source (`from_source_with_watermarks`: one generator per
//! split, see `task::split_watermarks`) or later (`assign_timestamps_and_watermarks`: one per
//! subtask, see `operators::timestamps_watermarks`). Both apply it to a batch with
//! `WatermarkStrategy::stamp`.

use std::sync::Arc;
use std::time::Duration;
use weir_core::clock::Clock;
use weir_core::record::Batch;
use weir_core::time::WatermarkStatus;
use weir_core::watermark::{BoundedOutOfOrderness, NoWatermarks, WatermarkGenerator, WatermarkOutput, WithIdleness};
use weir_core::{Timestamp, Watermark};

/// Creates one watermark generator per parallel subtask.
pub(crate) type GeneratorFactory<T> = Arc<dyn Fn() -> Box<dyn WatermarkGenerator<T>> + Send + Sync>;

/// Where record timestamps come from.
pub(crate) enum TimestampSource<T> {
    /// Keep the timestamp the record already has (from the source or an earlier assigner).
    Record,
    /// Compute it from the record (and its previous timestamp, if any).
    Assigner(Arc<dyn Fn(&T, Option<Timestamp>) -> Timestamp + Send + Sync>),
    /// Ingestion time: the processing time at which the record passes the assigner.
    Ingestion,
}

impl<T> Clone for TimestampSource<T> {
    fn clone(&self) -> Self {
        match self {
            TimestampSource::Record => TimestampSource::Record,
            TimestampSource::Assigner(f) => TimestampSource::Assigner(Arc::clone(f)),
            TimestampSource::Ingestion => TimestampSource::Ingestion,
        }
    }
}

/// What a generator emitted during one call: the highest watermark and the last status change.
pub(crate) type Generated = (Option<Watermark>, Option<WatermarkStatus>);

/// A piece of a stamped batch, in stream order: records, or what the generator emitted after the
/// last of them (punctuated generators).
pub(crate) enum Stamped<T> {
    Records(Batch<T>),
    Generated(Generated),
}

/// Timestamps and watermarks of a stream.
pub struct WatermarkStrategy<T> {
    pub(crate) generator: GeneratorFactory<T>,
    pub(crate) timestamps: TimestampSource<T>,
    pub(crate) idleness: Option<Duration>,
}

impl<T> Clone for WatermarkStrategy<T> {
    fn clone(&self) -> Self {
        WatermarkStrategy {
            generator: Arc::clone(&self.generator),
            timestamps: self.timestamps.clone(),
            idleness: self.idleness,
        }
    }
}

impl<T: 'static> WatermarkStrategy<T> {
    /// Records may arrive up to `bound` later than the newest one seen; the watermark trails the
    /// highest timestamp by that bound.
    pub fn for_bounded_out_of_orderness(bound: Duration) -> Self {
        Self::for_generator(move || BoundedOutOfOrderness::new(bound))
    }

    /// Timestamps only grow: the watermark is the highest timestamp seen, minus one.
    pub fn for_monotonous_timestamps() -> Self {
        Self::for_bounded_out_of_orderness(Duration::ZERO)
    }

    /// No watermarks (only the final one of a bounded input passes).
    pub fn no_watermarks() -> Self {
        Self::for_generator(|| NoWatermarks)
    }

    /// A custom generator, periodic (emits in `on_periodic_emit`) or punctuated (in `on_event`).
    pub fn for_generator<G, F>(factory: F) -> Self
    where
        G: WatermarkGenerator<T> + 'static,
        F: Fn() -> G + Send + Sync + 'static,
    {
        WatermarkStrategy {
            generator: Arc::new(move || Box::new(factory()) as Box<dyn WatermarkGenerator<T>>),
            timestamps: TimestampSource::Record,
            idleness: None,
        }
    }

    /// Ingestion time: each record is stamped with the processing time at which it enters the
    /// stream, and the watermark follows those stamps.
    pub fn ingestion_time() -> Self {
        let mut strategy = Self::for_monotonous_timestamps();
        strategy.timestamps = TimestampSource::Ingestion;
        strategy
    }

    /// Takes each record's event timestamp from the record (the function also gets the
    /// timestamp the record had so far, if any).
    pub fn with_timestamp_assigner<F>(mut self, assigner: F) -> Self
    where
        F: Fn(&T, Option<Timestamp>) -> Timestamp + Send + Sync + 'static,
    {
        self.timestamps = TimestampSource::Assigner(Arc::new(assigner));
        self
    }

    /// After `timeout` of processing time without records, the stream is marked idle so that it
    /// does not hold back event time downstream; its next record makes it active again.
    pub fn with_idleness(mut self, timeout: Duration) -> Self {
        self.idleness = Some(timeout);
        self
    }
}

impl<T: 'static> WatermarkStrategy<T> {
    /// A new generator of this strategy, wrapped for idleness when the strategy asks for it.
    pub(crate) fn create_generator(&self, clock: &Arc<dyn Clock>) -> Box<dyn WatermarkGenerator<T>> {
        let generator = (self.generator)();
        match self.idleness {
            Some(timeout) => Box::new(WithIdleness::new(generator, timeout, Arc::clone(clock))),
            None => generator,
        }
    }

    /// Stamps every record of `batch` (`clock` gives ingestion time) and feeds the timestamps to
    /// `generator`. Returns the batch cut after every record on which the generator emitted, so
    /// that what it emitted is published exactly there: a record after a punctuation must see
    /// its watermark. A batch without punctuation comes back whole, without copying.
    pub(crate) fn stamp(
        &self,
        mut batch: Batch<T>,
        generator: &mut dyn WatermarkGenerator<T>,
        clock: &dyn Clock,
    ) -> Vec<Stamped<T>> {
        let now = match self.timestamps {
            TimestampSource::Ingestion => Some(clock.now_millis()),
            _ => None,
        };
        let mut generated = WatermarkOutput::new();
        let mut punctuations = Vec::new();
        for (i, record) in batch.iter_mut().enumerate() {
            let timestamp = match &self.timestamps {
                TimestampSource::Record => record.timestamp,
                TimestampSource::Assigner(assign) => Some(assign(&record.value, record.timestamp)),
                TimestampSource::Ingestion => now,
            };
            record.timestamp = timestamp;
            if let Some(timestamp) = timestamp {
                generator.on_event(&record.value, timestamp, &mut generated);
                let emitted = generated.take();
                if emitted != (None, None) {
                    punctuations.push((i, emitted));
                }
            }
        }
        if punctuations.is_empty() {
            return vec![Stamped::Records(batch)];
        }
        let mut pieces = Vec::with_capacity(2 * punctuations.len() + 1);
        let mut punctuations = punctuations.into_iter().peekable();
        let mut segment = Vec::new();
        for (i, record) in batch.into_iter().enumerate() {
            segment.push(record);
            if let Some((_, emitted)) = punctuations.next_if(|(at, _)| *at == i) {
                pieces.push(Stamped::Records(std::mem::take(&mut segment)));
                pieces.push(Stamped::Generated(emitted));
            }
        }
        if !segment.is_empty() {
            pieces.push(Stamped::Records(segment));
        }
        pieces
    }
}
