//! [`CollectSink`]: keeps every record a job's sink receives, for assertions after the job.
//!
//! The sink is its own handle: clone it, give one clone to the job, keep the other to read.
//! Records are stored per subtask, in the order each subtask received them; across subtasks the
//! order is unspecified. A subtask that is started again (a restart after a failure) appends to
//! what it collected before; call [`CollectSink::clear`] between runs to start over.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use weir_core::Result;
use weir_core::operator::OperatorContext;
use weir_core::record::{Batch, Record};
use weir_core::sink::{Sink, SinkWriter};

/// A sink that collects every record in memory; see the module docs.
pub struct CollectSink<T> {
    /// The records of subtask `i` at index `i`.
    collected: Arc<Mutex<Vec<Vec<Record<T>>>>>,
}

impl<T> Clone for CollectSink<T> {
    fn clone(&self) -> Self {
        CollectSink { collected: Arc::clone(&self.collected) }
    }
}

impl<T> Default for CollectSink<T> {
    fn default() -> Self {
        CollectSink { collected: Arc::new(Mutex::new(Vec::new())) }
    }
}

impl<T> fmt::Debug for CollectSink<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CollectSink").field("records", &self.len()).finish()
    }
}

impl<T> CollectSink<T> {
    pub fn new() -> Self {
        Self::default()
    }

    /// The lock, recovered if a writer panicked while holding it: what was collected until then
    /// is still worth reading.
    fn lock(&self) -> MutexGuard<'_, Vec<Vec<Record<T>>>> {
        self.collected.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// How many records were collected.
    pub fn len(&self) -> usize {
        self.lock().iter().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets everything collected.
    pub fn clear(&self) {
        self.lock().clear();
    }
}

impl<T: Clone> CollectSink<T> {
    /// Every record with its timestamp: subtask 0's in order, then subtask 1's, and so on.
    pub fn records(&self) -> Vec<Record<T>> {
        self.lock().iter().flatten().cloned().collect()
    }

    /// Every value, in the order of [`records`](Self::records). Do not rely on the order across
    /// subtasks; use [`sorted_values`](Self::sorted_values) or [`values_by_subtask`](Self::values_by_subtask).
    pub fn values(&self) -> Vec<T> {
        self.lock().iter().flatten().map(|r| r.value.clone()).collect()
    }

    /// The values of each subtask, in the order that subtask received them; index = subtask.
    pub fn values_by_subtask(&self) -> Vec<Vec<T>> {
        self.lock().iter().map(|records| records.iter().map(|r| r.value.clone()).collect()).collect()
    }
}

impl<T: Clone + Ord> CollectSink<T> {
    /// Every value, sorted: what a test compares when the order across subtasks does not matter.
    pub fn sorted_values(&self) -> Vec<T> {
        let mut values = self.values();
        values.sort();
        values
    }
}

impl<T: Send + 'static> Sink<T> for CollectSink<T> {
    fn name(&self) -> &str {
        "CollectSink"
    }

    fn create_writer(&self, ctx: &OperatorContext) -> Result<Box<dyn SinkWriter<T>>> {
        let subtask = ctx.subtask.0;
        let mut collected = self.lock();
        if collected.len() <= subtask {
            collected.resize_with(subtask + 1, Vec::new);
        }
        Ok(Box::new(CollectWriter { sink: self.clone(), subtask }))
    }
}

/// Appends one subtask's batches to the shared collection.
struct CollectWriter<T> {
    sink: CollectSink<T>,
    subtask: usize,
}

impl<T: Send> SinkWriter<T> for CollectWriter<T> {
    fn write_batch(&mut self, batch: Batch<T>) -> Result<()> {
        let mut collected = self.sink.lock();
        if collected.len() <= self.subtask {
            // Only after `clear` while the job runs.
            collected.resize_with(self.subtask + 1, Vec::new);
        }
        collected[self.subtask].extend(batch);
        Ok(())
    }
}

#[cfg(test)]
mod tests;
