//! [`ReaderOutput`]: where a source reader puts its records, each batch tagged with the split it
//! comes from, and the news that a split is done (Flink's `ReaderOutput` with its split-local
//! `SourceOutput`s).
//!
//! A reader emits through [`ReaderOutput::split`]; the runtime then takes the emitted elements in
//! order ([`ReaderOutput::pop`]). Only when the runtime generates watermarks per split does the
//! output keep the tags ([`ReaderOutput::per_split`]); otherwise they cost nothing and every batch
//! goes on as one, without copying, as a plain [`Output`](crate::output::Output) would.
//!
//! It is **not** a way for a reader to emit watermarks: a watermark strategy given at the source
//! makes them from the records' timestamps, per split.

use super::SplitId;
use crate::record::{Batch, Record};
use crate::time::Timestamp;
use std::collections::VecDeque;

/// One element a reader emitted.
#[derive(Debug, PartialEq)]
pub enum ReaderEmitted<T> {
    /// Records of one split, in that split's order; `split` is `None` when the output does not
    /// track splits.
    Batch { split: Option<SplitId>, batch: Batch<T> },
    /// The split is done: it emits nothing more and no longer holds back the watermark.
    SplitFinished(SplitId),
}

/// Collects what a reader emits in one poll, in order.
#[derive(Debug)]
pub struct ReaderOutput<T> {
    /// Whether tags and finished splits are kept (per-split watermarks) or dropped.
    per_split: bool,
    /// Elements emitted before the records in `current`.
    sealed: VecDeque<ReaderEmitted<T>>,
    /// Records emitted since the last seal, all of `current_split`.
    current: Batch<T>,
    /// The split of `current` (only tracked with `per_split`).
    current_split: Option<SplitId>,
}

impl<T> Default for ReaderOutput<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> ReaderOutput<T> {
    /// An output that ignores which split records come from: every batch is untagged.
    pub fn new() -> Self {
        ReaderOutput { per_split: false, sealed: VecDeque::new(), current: Vec::new(), current_split: None }
    }

    /// An output that keeps each batch's split and reports finished splits.
    pub fn per_split() -> Self {
        ReaderOutput { per_split: true, ..Self::new() }
    }

    /// Whether this output keeps split tags.
    pub fn tracks_splits(&self) -> bool {
        self.per_split
    }

    /// Where the records of split `id` go.
    #[inline]
    pub fn split(&mut self, id: &SplitId) -> SplitOutput<'_, T> {
        if self.per_split && self.current_split.as_ref() != Some(id) {
            self.seal();
            self.current_split = Some(id.clone());
        }
        SplitOutput { out: self }
    }

    /// Split `id` is done: after the records emitted so far, it no longer counts.
    pub fn finish_split(&mut self, id: &SplitId) {
        if self.per_split {
            self.seal();
            self.sealed.push_back(ReaderEmitted::SplitFinished(id.clone()));
        }
    }

    /// Whether nothing is waiting to be taken.
    pub fn is_empty(&self) -> bool {
        self.sealed.is_empty() && self.current.is_empty()
    }

    /// Takes the next emitted element, oldest first.
    pub fn pop(&mut self) -> Option<ReaderEmitted<T>> {
        if let Some(element) = self.sealed.pop_front() {
            return Some(element);
        }
        if self.current.is_empty() {
            return None;
        }
        // The next batch will likely be as large: allocate once instead of growing.
        let capacity = self.current.capacity();
        let batch = std::mem::replace(&mut self.current, Vec::with_capacity(capacity));
        Some(ReaderEmitted::Batch { split: self.current_split.clone(), batch })
    }

    fn seal(&mut self) {
        if !self.current.is_empty() {
            let batch = std::mem::take(&mut self.current);
            self.sealed.push_back(ReaderEmitted::Batch { split: self.current_split.clone(), batch });
        }
    }
}

/// The output of one split, for the records of one poll: see [`ReaderOutput::split`].
#[derive(Debug)]
pub struct SplitOutput<'a, T> {
    out: &'a mut ReaderOutput<T>,
}

impl<T> SplitOutput<'_, T> {
    /// Emits a value without a timestamp.
    #[inline]
    pub fn collect(&mut self, value: T) {
        self.out.current.push(Record::new(value));
    }

    /// Emits a value with an event timestamp (a strategy at the source may replace it).
    #[inline]
    pub fn collect_with_timestamp(&mut self, value: T, timestamp: Timestamp) {
        self.out.current.push(Record::with_timestamp(value, timestamp));
    }

    /// Emits a record as it is.
    #[inline]
    pub fn emit(&mut self, record: Record<T>) {
        self.out.current.push(record);
    }

    /// Emits a whole batch; when nothing is pending the batch is handed on without copying.
    pub fn emit_batch(&mut self, mut batch: Batch<T>) {
        if self.out.current.is_empty() {
            self.out.current = batch;
        } else {
            self.out.current.append(&mut batch);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(out: &mut ReaderOutput<u32>) -> Vec<String> {
        std::iter::from_fn(|| out.pop())
            .map(|e| match e {
                ReaderEmitted::Batch { split, batch } => {
                    let values: Vec<u32> = batch.iter().map(|r| r.value).collect();
                    format!("{}{values:?}", split.map_or(String::new(), |s| s.to_string()))
                }
                ReaderEmitted::SplitFinished(id) => format!("{id} done"),
            })
            .collect()
    }

    #[test]
    fn per_split_batches_are_cut_where_the_split_changes_and_keep_their_order() {
        let (a, b) = (SplitId::new("a"), SplitId::new("b"));
        let mut out = ReaderOutput::per_split();
        out.split(&a).collect(1);
        out.split(&a).emit_batch(vec![Record::new(2), Record::new(3)]);
        out.split(&b).collect(10);
        out.finish_split(&b);
        out.split(&a).collect(4);
        assert_eq!(drain(&mut out), ["a[1, 2, 3]", "b[10]", "b done", "a[4]"]);
        assert!(out.is_empty());
        out.split(&a).collect(5);
        assert_eq!(drain(&mut out), ["a[5]"], "the tag survives a drain");
    }

    #[test]
    fn without_per_split_tags_and_finished_splits_are_dropped_and_batches_pass_whole() {
        let (a, b) = (SplitId::new("a"), SplitId::new("b"));
        let mut out = ReaderOutput::new();
        out.split(&a).emit_batch(vec![Record::new(1), Record::new(2)]);
        out.split(&b).collect(3);
        out.finish_split(&b);
        assert_eq!(drain(&mut out), ["[1, 2, 3]"]);
        assert!(!out.tracks_splits() && ReaderOutput::<u32>::per_split().tracks_splits());
    }

    #[test]
    fn a_split_finished_without_records_is_reported_alone() {
        let mut out: ReaderOutput<u32> = ReaderOutput::per_split();
        out.finish_split(&SplitId::new("empty"));
        assert_eq!(drain(&mut out), ["empty done"]);
    }
}
