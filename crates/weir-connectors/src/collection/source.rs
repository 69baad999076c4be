//! [`CollectionSource`]: a bounded source over a shared `Vec`, and its reader.

use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;
use weir_core::operator::OperatorContext;
use weir_core::source::{Boundedness, ReaderOutput, Source, SourcePoll, SourceReader, SourceSplit, SplitId};
use weir_core::{Data, Error, Result};

/// A bounded source of the elements of a `Vec`, in order within each split.
pub struct CollectionSource<T> {
    values: Arc<Vec<T>>,
}

impl<T> CollectionSource<T> {
    pub fn new(values: Vec<T>) -> Self {
        CollectionSource { values: Arc::new(values) }
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

impl<T> From<Vec<T>> for CollectionSource<T> {
    fn from(values: Vec<T>) -> Self {
        CollectionSource::new(values)
    }
}

impl<T> FromIterator<T> for CollectionSource<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        CollectionSource::new(iter.into_iter().collect())
    }
}

impl<T> fmt::Debug for CollectionSource<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CollectionSource").field("len", &self.values.len()).finish()
    }
}

/// The elements `start..end` of the collection; `next` is the position.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CollectionSplit {
    pub start: usize,
    pub end: usize,
    /// The index of the next element to emit.
    pub next: usize,
}

impl CollectionSplit {
    pub fn is_finished(&self) -> bool {
        self.next >= self.end
    }
}

impl SourceSplit for CollectionSplit {
    /// `start..end`: the elements it covers.
    fn split_id(&self) -> SplitId {
        SplitId::new(format!("{}..{}", self.start, self.end))
    }
}

impl<T: Data> Source<T> for CollectionSource<T> {
    type Split = CollectionSplit;

    fn name(&self) -> &str {
        "Collection"
    }

    fn boundedness(&self) -> Boundedness {
        Boundedness::Bounded
    }

    fn create_splits(&self, parallelism: usize) -> Result<Vec<CollectionSplit>> {
        let len = self.values.len();
        let k = parallelism.max(1).min(len);
        Ok((0..k)
            .map(|i| {
                let (start, end) = (i * len / k, (i + 1) * len / k);
                CollectionSplit { start, end, next: start }
            })
            .collect())
    }

    fn create_reader(&self, _ctx: &OperatorContext) -> Result<Box<dyn SourceReader<T, CollectionSplit>>> {
        Ok(Box::new(CollectionReader { values: Arc::clone(&self.values), splits: VecDeque::new() }))
    }
}

/// Emits its splits one after the other.
struct CollectionReader<T> {
    values: Arc<Vec<T>>,
    /// Splits not reported finished yet, with their ids; the front one is read next.
    splits: VecDeque<(SplitId, CollectionSplit)>,
}

impl<T: Clone + Send + Sync> SourceReader<T, CollectionSplit> for CollectionReader<T> {
    fn add_splits(&mut self, splits: Vec<CollectionSplit>) -> Result<()> {
        for split in splits {
            let in_range = split.start <= split.next && split.next <= split.end && split.end <= self.values.len();
            if !in_range {
                return Err(Error::Connector {
                    connector: "collection",
                    message: format!("split {split:?} does not fit a collection of {} elements", self.values.len()),
                });
            }
            // Kept even when finished, to be reported finished by the next poll that reaches it.
            self.splits.push_back((split.split_id(), split));
        }
        Ok(())
    }

    fn poll_next(&mut self, out: &mut ReaderOutput<T>, max_records: usize) -> Result<SourcePoll> {
        let Some((id, split)) = self.splits.front_mut() else {
            return Ok(SourcePoll::Finished);
        };
        let until = split.end.min(split.next.saturating_add(max_records));
        let mut split_out = out.split(id);
        for value in &self.values[split.next..until] {
            split_out.collect(value.clone());
        }
        split.next = until;
        if split.is_finished() {
            out.finish_split(id);
            self.splits.pop_front();
        }
        // `Finished` only ever follows a poll that emitted nothing, so no record rides on it.
        Ok(SourcePoll::MoreAvailable)
    }

    fn snapshot_splits(&self) -> Vec<CollectionSplit> {
        self.splits.iter().filter(|(_, s)| !s.is_finished()).map(|(_, s)| s.clone()).collect()
    }
}
