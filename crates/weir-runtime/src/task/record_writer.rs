//! Record writers: the producer side of one edge.
//!
//! A [`ChannelWriter`] keeps one batch buffer per channel, fills it with the records the
//! partitioner sends there, and sends a buffer when it is full, when a control element must pass
//! (watermarks and end of input are flushed behind the data they follow), or when the task's
//! buffer timeout expires. Sending blocks while the channel is full: backpressure.
//!
//! Whole batches skip the buffers where the partitioning allows it (forward, and round-robin of
//! full batches), so a chain boundary costs one channel hand-over per batch.

use super::element::{AnyBatch, ChannelElement, Emit, InputEnd, downcast_batch};
use super::partitioner::{PartitionKind, RoundRobin};
use crossbeam_channel::Sender;
use std::sync::Arc;
use std::time::Instant;
use weir_core::key_group::subtask_for_key_group;
use weir_core::record::Batch;
use weir_core::snapshot::CheckpointInfo;
use weir_core::time::{Watermark, WatermarkStatus};
use weir_core::{Data, Error, KeyGroup, Result};

/// Computes the key group of a record (the key selector and the stable hash, composed).
pub(crate) type KeyGroupFn<T> = Arc<dyn Fn(&T) -> Result<KeyGroup> + Send + Sync>;

/// A control element sent to every channel.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Control {
    Watermark(Watermark),
    WatermarkStatus(WatermarkStatus),
    Barrier(CheckpointInfo),
    EndOfInput(InputEnd),
}

/// The producer side of one edge, with its record type erased.
pub(crate) trait RecordWriter: Send {
    /// Writes a batch this writer may consume.
    fn write(&mut self, batch: AnyBatch) -> Result<()>;
    /// Writes a copy of a batch that other writers also receive.
    fn write_cloned(&mut self, batch: &AnyBatch) -> Result<()>;
    /// Flushes every buffer, then sends `control` on every channel.
    fn control(&mut self, control: Control) -> Result<()>;
    /// Sends every non-empty buffer.
    fn flush(&mut self) -> Result<()>;
    /// Since when records have been waiting in a buffer, if any are.
    fn pending_since(&self) -> Option<Instant>;
}

/// How a typed writer chooses channels.
pub(crate) enum Selector<T> {
    /// One channel (forward, or a single consumer).
    Single,
    RoundRobin(RoundRobin),
    Broadcast,
    Hash {
        key_group: KeyGroupFn<T>,
        max_parallelism: usize,
    },
}

/// What a writer needs to know of its edge.
pub(crate) struct WriterSetup {
    pub batch_size: usize,
    pub max_parallelism: usize,
    pub producer_index: usize,
    /// For error messages: the producing task.
    pub task_name: String,
}

/// The per-channel buffers of one edge and the channels they are sent on.
struct Outbox<T> {
    channels: Vec<Sender<ChannelElement>>,
    buffers: Vec<Batch<T>>,
    batch_size: usize,
    pending_since: Option<Instant>,
}

impl<T: Data> Outbox<T> {
    fn send(&mut self, channel: usize, element: ChannelElement) -> Result<()> {
        // A closed channel means the consumer stopped: the job is failing or cancelled, and the
        // job manager reports the root cause.
        self.channels[channel].send(element).map_err(|_| Error::Cancelled)
    }

    fn send_buffer(&mut self, channel: usize) -> Result<()> {
        let batch = std::mem::replace(&mut self.buffers[channel], Vec::with_capacity(self.batch_size));
        if self.buffers.len() == 1 {
            self.pending_since = None;
        }
        self.send(channel, ChannelElement::Batch(Box::new(batch)))
    }

    /// Sends a whole batch without copying it into the buffer, after the records already
    /// buffered for that channel, which must not be overtaken.
    fn send_whole(&mut self, channel: usize, batch: Batch<T>) -> Result<()> {
        if !self.buffers[channel].is_empty() {
            self.send_buffer(channel)?;
        }
        self.send(channel, ChannelElement::Batch(Box::new(batch)))
    }

    /// Whether a batch is big enough to be sent on as it is rather than copied into buffers.
    fn worth_sending_whole(&self, batch: &Batch<T>) -> bool {
        batch.len() * 2 >= self.batch_size
    }

    #[inline]
    fn push(&mut self, channel: usize, record: weir_core::Record<T>) -> Result<()> {
        let buffer = &mut self.buffers[channel];
        if buffer.capacity() == 0 {
            buffer.reserve_exact(self.batch_size);
        }
        buffer.push(record);
        let full = buffer.len() >= self.batch_size;
        if self.pending_since.is_none() {
            self.pending_since = Some(Instant::now());
        }
        if full {
            self.send_buffer(channel)?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        for channel in 0..self.buffers.len() {
            if !self.buffers[channel].is_empty() {
                self.send_buffer(channel)?;
            }
        }
        self.pending_since = None;
        Ok(())
    }
}

/// The typed record writer of one edge.
pub(crate) struct ChannelWriter<T> {
    out: Outbox<T>,
    selector: Selector<T>,
    task_name: String,
}

impl<T: Data> ChannelWriter<T> {
    pub(crate) fn new(
        kind: PartitionKind,
        channels: Vec<Sender<ChannelElement>>,
        key_group: Option<KeyGroupFn<T>>,
        setup: &WriterSetup,
    ) -> Result<Self> {
        if channels.is_empty() {
            return Err(Error::Internal(format!("{}: an output edge without channels", setup.task_name)));
        }
        let selector = match kind {
            PartitionKind::Hash => Selector::Hash {
                key_group: key_group.ok_or_else(|| Error::Internal("a hash edge without a key selector".into()))?,
                max_parallelism: setup.max_parallelism,
            },
            _ if channels.len() == 1 => Selector::Single,
            PartitionKind::Forward => Selector::Single,
            PartitionKind::Rebalance | PartitionKind::Rescale | PartitionKind::Default => {
                Selector::RoundRobin(RoundRobin::new(channels.len(), setup.producer_index))
            }
            PartitionKind::Broadcast => Selector::Broadcast,
        };
        Ok(ChannelWriter {
            out: Outbox {
                buffers: channels.iter().map(|_| Vec::new()).collect(),
                channels,
                batch_size: setup.batch_size.max(1),
                pending_since: None,
            },
            selector,
            task_name: setup.task_name.clone(),
        })
    }

    fn write_typed(&mut self, batch: Batch<T>) -> Result<()> {
        let out = &mut self.out;
        match &mut self.selector {
            Selector::Single => {
                if out.worth_sending_whole(&batch) {
                    return out.send_whole(0, batch);
                }
                batch.into_iter().try_for_each(|record| out.push(0, record))
            }
            Selector::RoundRobin(rr) => {
                // Large batches go round-robin whole; small ones record by record, so a trickle
                // of records still spreads over all consumers.
                if out.worth_sending_whole(&batch) {
                    return out.send_whole(rr.next_channel(), batch);
                }
                batch.into_iter().try_for_each(|record| out.push(rr.next_channel(), record))
            }
            Selector::Broadcast => {
                let last = out.channels.len() - 1;
                for channel in 0..last {
                    batch.iter().try_for_each(|record| out.push(channel, record.clone()))?;
                }
                batch.into_iter().try_for_each(|record| out.push(last, record))
            }
            Selector::Hash { key_group, max_parallelism } => {
                let consumers = out.channels.len();
                for record in batch {
                    let group = key_group(&record.value)?;
                    out.push(subtask_for_key_group(group, *max_parallelism, consumers), record)?;
                }
                Ok(())
            }
        }
    }
}

impl<T: Data> RecordWriter for ChannelWriter<T> {
    fn write(&mut self, batch: AnyBatch) -> Result<()> {
        let batch = downcast_batch::<T>(batch, &self.task_name)?;
        self.write_typed(batch)
    }

    fn write_cloned(&mut self, batch: &AnyBatch) -> Result<()> {
        let batch = batch
            .downcast_ref::<Batch<T>>()
            .ok_or_else(|| Error::Internal(format!("{} received a batch of an unexpected type", self.task_name)))?;
        self.write_typed(batch.clone())
    }

    fn control(&mut self, control: Control) -> Result<()> {
        self.out.flush()?;
        for channel in 0..self.out.channels.len() {
            let element = match control {
                Control::Watermark(w) => ChannelElement::Watermark(w),
                Control::WatermarkStatus(s) => ChannelElement::WatermarkStatus(s),
                Control::Barrier(info) => ChannelElement::Barrier(info),
                Control::EndOfInput(end) => ChannelElement::EndOfInput(end),
            };
            self.out.send(channel, element)?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        self.out.flush()
    }

    fn pending_since(&self) -> Option<Instant> {
        self.out.pending_since
    }
}

/// The end of a chain: every output edge's writer, main output or a side output's (by tag).
/// A chain that ends in a sink has none.
#[derive(Default)]
pub(crate) struct Writers {
    /// Writers of the main output.
    main: Vec<Box<dyn RecordWriter>>,
    /// Writers of side outputs, with their tags.
    side: Vec<(String, Box<dyn RecordWriter>)>,
}

impl Writers {
    pub(crate) fn new(writers: Vec<(Option<String>, Box<dyn RecordWriter>)>) -> Self {
        let mut all = Writers::default();
        for (tag, writer) in writers {
            match tag {
                None => all.main.push(writer),
                Some(tag) => all.side.push((tag, writer)),
            }
        }
        all
    }

    fn all(&mut self) -> impl Iterator<Item = &mut Box<dyn RecordWriter>> {
        self.main.iter_mut().chain(self.side.iter_mut().map(|(_, w)| w))
    }

    pub(crate) fn control(&mut self, control: Control) -> Result<()> {
        self.all().try_for_each(|w| w.control(control))
    }

    pub(crate) fn flush(&mut self) -> Result<()> {
        self.all().try_for_each(|w| w.flush())
    }

    /// The earliest moment a buffered record started waiting, over all writers.
    pub(crate) fn pending_since(&self) -> Option<Instant> {
        self.main.iter().chain(self.side.iter().map(|(_, w)| w)).filter_map(|w| w.pending_since()).min()
    }
}

/// Writes a batch to every writer: copies to all but the last, which takes it.
fn fan_out<'a>(mut writers: impl Iterator<Item = &'a mut Box<dyn RecordWriter>>, batch: AnyBatch) -> Result<()> {
    let Some(mut last) = writers.next() else { return Ok(()) };
    for next in writers {
        last.write_cloned(&batch)?;
        last = next;
    }
    last.write(batch)
}

impl Emit for Writers {
    fn batch(&mut self, batch: AnyBatch) -> Result<()> {
        fan_out(self.main.iter_mut(), batch)
    }

    fn watermark(&mut self, watermark: Watermark) -> Result<()> {
        self.control(Control::Watermark(watermark))
    }

    fn watermark_status(&mut self, status: WatermarkStatus) -> Result<()> {
        self.control(Control::WatermarkStatus(status))
    }

    fn side_batch(&mut self, tag: &str, batch: AnyBatch) -> Result<()> {
        fan_out(self.side.iter_mut().filter(|(t, _)| t == tag).map(|(_, w)| w), batch)
    }
}

#[cfg(test)]
mod tests;
