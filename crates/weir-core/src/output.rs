//! The output of an operator: where it puts the records and watermarks it emits.
//!
//! An operator's call (`process_batch`, `handle_watermark`, ...) fills an [`Output`]; the task
//! that runs the operator then takes the emitted elements, in order, and hands them to the next
//! operator of the chain or to the exchange. Whole batches can be handed over without copying
//! ([`Output::emit_batch`]), which is what keeps `map` and `filter` allocation-free.
//!
//! Besides its main output an operator may emit to **side outputs**, named by a tag, each with
//! a record type of its own ([`Output::emit_side`]); watermarks apply to all of them.

use crate::record::{Batch, Record};
use crate::time::{Timestamp, Watermark, WatermarkStatus};
use std::any::Any;
use std::collections::VecDeque;
use std::sync::Arc;

/// One element an operator emitted.
#[derive(Debug)]
pub enum Emitted<T> {
    Batch(Batch<T>),
    /// A batch of a side output: a `Batch<S>` of the tag's record type.
    Side {
        tag: Arc<str>,
        batch: Box<dyn Any + Send>,
    },
    Watermark(Watermark),
    WatermarkStatus(WatermarkStatus),
}

/// The records emitted to one side output since the last seal.
#[derive(Debug)]
struct SideBuffer {
    tag: Arc<str>,
    /// A `Batch<S>`; `None` when empty.
    batch: Option<Box<dyn Any + Send>>,
}

/// Collects what an operator emits, keeping records and watermarks in their order.
#[derive(Debug)]
pub struct Output<T> {
    /// Elements emitted before the records in `current`.
    sealed: VecDeque<Emitted<T>>,
    /// Records emitted since the last watermark (or since the output was last drained).
    current: Batch<T>,
    /// Side-output records emitted since the last watermark, per tag.
    side: Vec<SideBuffer>,
}

impl<T> Default for Output<T> {
    fn default() -> Self {
        Output { sealed: VecDeque::new(), current: Vec::new(), side: Vec::new() }
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

    /// Emits a record to the side output `tag`. A tag names one record type: the runtime's
    /// `OutputTag` includes the type in the tag, so two types never share a buffer.
    pub fn emit_side<S: Send + 'static>(&mut self, tag: &str, record: Record<S>) {
        let index = match self.side.iter().position(|b| &*b.tag == tag) {
            Some(index) => index,
            None => {
                self.side.push(SideBuffer { tag: Arc::from(tag), batch: None });
                self.side.len() - 1
            }
        };
        let buffer = &mut self.side[index];
        match buffer.batch.as_mut().and_then(|b| b.downcast_mut::<Batch<S>>()) {
            Some(batch) => batch.push(record),
            // Empty, or (impossible with typed tags) another type under the same tag: start over.
            None => buffer.batch = Some(Box::new(vec![record])),
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
        self.sealed.is_empty() && self.current.is_empty() && self.side.iter().all(|b| b.batch.is_none())
    }

    /// Takes the next emitted element, oldest first.
    pub fn pop(&mut self) -> Option<Emitted<T>> {
        if let Some(element) = self.sealed.pop_front() {
            return Some(element);
        }
        if self.current.is_empty() {
            return self.side.iter_mut().find_map(|b| {
                let batch = b.batch.take()?;
                Some(Emitted::Side { tag: Arc::clone(&b.tag), batch })
            });
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
        for buffer in &mut self.side {
            if let Some(batch) = buffer.batch.take() {
                self.sealed.push_back(Emitted::Side { tag: Arc::clone(&buffer.tag), batch });
            }
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
                Emitted::Side { tag, batch } => match batch.downcast::<Batch<String>>() {
                    Ok(b) => format!("{tag}{:?}", b.iter().map(|r| r.value.as_str()).collect::<Vec<_>>()),
                    Err(_) => format!("{tag}?"),
                },
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
    fn side_outputs_are_sealed_before_the_watermark_that_follows_them() {
        let mut out = Output::new();
        out.collect(1);
        out.emit_side("late", Record::new("x".to_string()));
        out.emit_watermark(Watermark(10));
        out.emit_side("late", Record::new("y".to_string()));
        out.emit_side("late", Record::new("z".to_string()));
        out.collect(2);
        assert_eq!(drain(&mut out), ["[1]", "late[\"x\"]", "wm10", "[2]", "late[\"y\", \"z\"]"]);
        assert!(out.is_empty());
    }

    #[test]
    fn a_watermark_alone_is_not_preceded_by_an_empty_batch() {
        let mut out: Output<u32> = Output::new();
        out.emit_watermark(Watermark(5));
        assert_eq!(drain(&mut out), ["wm5"]);
    }
}
