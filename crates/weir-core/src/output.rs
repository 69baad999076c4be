//! The output of an operator: where it puts the records and watermarks it emits.
//!
//! An operator's call (`process_batch`, `handle_watermark`, ...) fills an [`Output`]; the task
//! that runs the operator then takes the emitted elements, in order, and hands them to the next
//! operator of the chain or to the exchange. Whole batches can be handed over without copying
//! ([`Output::emit_batch`]), which is what keeps `map` and `filter` allocation-free.

use crate::record::{Batch, Record};
use crate::time::{Timestamp, Watermark, WatermarkStatus};
use std::collections::VecDeque;

/// One element an operator emitted.
#[derive(Debug)]
pub enum Emitted<T> {
    Batch(Batch<T>),
    Watermark(Watermark),
    WatermarkStatus(WatermarkStatus),
}

/// Collects what an operator emits, keeping records and watermarks in their order.
#[derive(Debug)]
pub struct Output<T> {
    /// Elements emitted before the records in `current`.
    sealed: VecDeque<Emitted<T>>,
    /// Records emitted since the last watermark (or since the output was last drained).
    current: Batch<T>,
}

impl<T> Default for Output<T> {
    fn default() -> Self {
        Output { sealed: VecDeque::new(), current: Vec::new() }
    }
}

impl<T> Output<T> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Emits a value without a timestamp.
    #[inline]
    pub fn collect(&mut self, value: T) {
        self.current.push(Record::new(value));
    }

    /// Emits a value with an event timestamp.
    #[inline]
    pub fn collect_with_timestamp(&mut self, value: T, timestamp: Timestamp) {
        self.current.push(Record::with_timestamp(value, timestamp));
    }

    /// Emits a record as it is.
    #[inline]
    pub fn emit(&mut self, record: Record<T>) {
        self.current.push(record);
    }

    /// Emits a whole batch; when nothing is pending the batch is handed on without copying.
    pub fn emit_batch(&mut self, mut batch: Batch<T>) {
        if self.current.is_empty() {
            self.current = batch;
        } else {
            self.current.append(&mut batch);
        }
    }

    /// Emits a watermark after everything emitted so far.
    pub fn emit_watermark(&mut self, watermark: Watermark) {
        self.seal();
        self.sealed.push_back(Emitted::Watermark(watermark));
    }

    /// Emits a change of the stream's watermark status after everything emitted so far.
    pub fn emit_watermark_status(&mut self, status: WatermarkStatus) {
        self.seal();
        self.sealed.push_back(Emitted::WatermarkStatus(status));
    }

    /// Whether nothing is waiting to be taken.
    pub fn is_empty(&self) -> bool {
        self.sealed.is_empty() && self.current.is_empty()
    }

    /// Takes the next emitted element, oldest first.
    pub fn pop(&mut self) -> Option<Emitted<T>> {
        if let Some(element) = self.sealed.pop_front() {
            return Some(element);
        }
        if self.current.is_empty() {
            return None;
        }
        // The next batch will likely be as large: allocate once instead of growing.
        let capacity = self.current.capacity();
        Some(Emitted::Batch(std::mem::replace(&mut self.current, Vec::with_capacity(capacity))))
    }

    fn seal(&mut self) {
        if !self.current.is_empty() {
            let batch = std::mem::take(&mut self.current);
            self.sealed.push_back(Emitted::Batch(batch));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(out: &mut Output<u32>) -> Vec<String> {
        std::iter::from_fn(|| out.pop())
            .map(|e| match e {
                Emitted::Batch(b) => format!("{:?}", b.iter().map(|r| r.value).collect::<Vec<_>>()),
                Emitted::Watermark(w) => format!("wm{w}"),
                Emitted::WatermarkStatus(s) => format!("{s:?}"),
            })
            .collect()
    }

    #[test]
    fn keeps_records_and_watermarks_in_order() {
        let mut out = Output::new();
        out.collect(1);
        out.collect(2);
        out.emit_watermark(Watermark(10));
        out.emit_batch(vec![Record::new(3)]);
        out.collect(4);
        assert_eq!(drain(&mut out), ["[1, 2]", "wm10", "[3, 4]"]);
        assert!(out.is_empty());
    }

    #[test]
    fn a_watermark_alone_is_not_preceded_by_an_empty_batch() {
        let mut out: Output<u32> = Output::new();
        out.emit_watermark(Watermark(5));
        assert_eq!(drain(&mut out), ["wm5"]);
    }
}
