//! [`DataGenSource`]: the description of a generated sequence, and the reader that emits it.

use super::rate_limiter::{Permit, RateLimiter};
use super::split::DataGenSplit;
use std::collections::VecDeque;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::{Duration, Instant};
use weir_core::operator::OperatorContext;
use weir_core::record::Record;
use weir_core::source::{Boundedness, ReaderOutput, Source, SourcePoll, SourceReader, SourceSplit, SplitId};
use weir_core::{Data, Error, Result};

/// The most records one poll emits, whatever `max_records` says: bounds one batch's memory.
const MAX_RECORDS_PER_POLL: usize = 1 << 20;
/// The longest a rate-limited reader asks to be left alone, so the runtime stays responsive.
const MAX_RETRY_AFTER: Duration = Duration::from_millis(100);

/// A source of `generator(i)` for the indices `i` of a sequence; see the [module docs](super).
pub struct DataGenSource<T, F> {
    generator: Arc<F>,
    count: Option<u64>,
    rate_limit: Option<f64>,
    splits: Option<usize>,
    _record: PhantomData<fn() -> T>,
}

impl<T, F> DataGenSource<T, F>
where
    F: Fn(u64) -> T + Send + Sync + 'static,
{
    /// An unbounded source of `generator(0), generator(1), ...`.
    pub fn new(generator: F) -> Self {
        DataGenSource {
            generator: Arc::new(generator),
            count: None,
            rate_limit: None,
            splits: None,
            _record: PhantomData,
        }
    }

    /// Makes the source bounded: exactly the indices `0..count`, each once.
    pub fn with_count(mut self, count: u64) -> Self {
        self.count = Some(count);
        self
    }

    /// Caps emission at `records_per_second` in total over all subtasks; each reader gets the
    /// share of its splits. Must be positive and finite (checked when the job starts).
    pub fn with_rate_limit(mut self, records_per_second: f64) -> Self {
        self.rate_limit = Some(records_per_second);
        self
    }

    /// Cuts the sequence into `splits` splits instead of one per subtask (0 is taken as 1).
    pub fn with_splits(mut self, splits: usize) -> Self {
        self.splits = Some(splits);
        self
    }

    fn check(&self) -> Result<()> {
        match self.rate_limit {
            Some(rate) if !(rate.is_finite() && rate > 0.0) => Err(Error::Config(format!(
                "datagen: the rate limit must be a positive number of records per second, not {rate}"
            ))),
            _ => Ok(()),
        }
    }
}

impl<T, F> fmt::Debug for DataGenSource<T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DataGenSource")
            .field("count", &self.count)
            .field("rate_limit", &self.rate_limit)
            .field("splits", &self.splits)
            .finish_non_exhaustive()
    }
}

impl<T, F> Source<T> for DataGenSource<T, F>
where
    T: Data,
    F: Fn(u64) -> T + Send + Sync + 'static,
{
    type Split = DataGenSplit;

    fn name(&self) -> &str {
        "DataGen"
    }

    fn boundedness(&self) -> Boundedness {
        if self.count.is_some() { Boundedness::Bounded } else { Boundedness::Unbounded }
    }

    fn create_splits(&self, parallelism: usize) -> Result<Vec<DataGenSplit>> {
        self.check()?;
        let wanted = self.splits.unwrap_or(parallelism).max(1) as u64;
        Ok(match self.count {
            Some(count) => {
                let k = wanted.min(count);
                (0..k).map(|i| DataGenSplit::range(i, k, count)).collect()
            }
            None => (0..wanted).map(|i| DataGenSplit::strided(i, wanted)).collect(),
        })
    }

    fn create_reader(&self, _ctx: &OperatorContext) -> Result<Box<dyn SourceReader<T, DataGenSplit>>> {
        self.check()?;
        Ok(Box::new(DataGenReader {
            generator: Arc::clone(&self.generator),
            splits: VecDeque::new(),
            rate_limit: self.rate_limit,
            limiter: None,
            _record: PhantomData,
        }))
    }
}

/// Emits the indices of its splits, one split per poll, rotating through them.
struct DataGenReader<T, F> {
    generator: Arc<F>,
    /// Splits not reported finished yet, with their ids; the front one is read next.
    splits: VecDeque<(SplitId, DataGenSplit)>,
    /// The source's total rate limit.
    rate_limit: Option<f64>,
    /// Paces this reader at its share of the limit, once it has splits.
    limiter: Option<RateLimiter>,
    _record: PhantomData<fn() -> T>,
}

impl<T, F> DataGenReader<T, F> {
    /// Sets the limiter to this reader's share: `1 / split_count` of the total per split.
    fn update_rate(&mut self) {
        let Some(total) = self.rate_limit else { return };
        let share: f64 =
            self.splits.iter().filter(|(_, s)| !s.is_finished()).map(|(_, s)| 1.0 / s.split_count as f64).sum();
        let rate = total * share;
        if rate > 0.0 {
            match &mut self.limiter {
                Some(limiter) => limiter.set_rate(Instant::now(), rate),
                None => self.limiter = Some(RateLimiter::new(rate)),
            }
        }
    }
}

impl<T, F> SourceReader<T, DataGenSplit> for DataGenReader<T, F>
where
    T: Send,
    F: Fn(u64) -> T + Send + Sync + 'static,
{
    fn add_splits(&mut self, splits: Vec<DataGenSplit>) -> Result<()> {
        for split in splits {
            if !split.is_well_formed() {
                return Err(Error::Connector { connector: "datagen", message: format!("malformed split {split:?}") });
            }
            // Kept even when finished, to be reported finished by the next poll that reaches it.
            self.splits.push_back((split.split_id(), split));
        }
        self.update_rate();
        Ok(())
    }

    fn poll_next(&mut self, out: &mut ReaderOutput<T>, max_records: usize) -> Result<SourcePoll> {
        let Some((id, split)) = self.splits.front_mut() else {
            return Ok(SourcePoll::Finished);
        };
        let mut n = max_records.min(MAX_RECORDS_PER_POLL).min(usize::try_from(split.remaining()).unwrap_or(usize::MAX));
        if let Some(limiter) = &mut self.limiter {
            match limiter.acquire(Instant::now(), n) {
                Permit::Granted(granted) => n = granted,
                Permit::Wait(wait) => {
                    return Ok(SourcePoll::NothingAvailable { retry_after: wait.min(MAX_RETRY_AFTER) });
                }
            }
        }

        // The hot loop: one allocation per batch, none per record, no checks inside.
        let (first, stride, generator) = (split.next, split.stride, &*self.generator);
        if n > 0 {
            let mut batch = Vec::with_capacity(n);
            batch.extend((0..n as u64).map(|k| Record::new(generator(first + k * stride))));
            out.split(id).emit_batch(batch);
            split.advance(n as u64);
        }

        if split.is_finished() {
            out.finish_split(id);
            self.splits.pop_front();
            self.update_rate();
        } else {
            self.splits.rotate_left(1);
        }
        // `Finished` only ever follows a poll that emitted nothing, so no record rides on it.
        Ok(SourcePoll::MoreAvailable)
    }

    fn snapshot_splits(&self) -> Vec<DataGenSplit> {
        self.splits.iter().filter(|(_, s)| !s.is_finished()).map(|(_, s)| s.clone()).collect()
    }
}
