//! Tasks: what runs on one subtask's thread.
//!
//! A subtask runs one chain of operators ([`chain`]) in a loop: a source subtask polls its reader
//! ([`source_task`]); any other subtask takes elements from its input gate ([`input_gate`]). What
//! the chain's last operator emits goes through record writers ([`record_writer`]) that batch
//! records per channel and choose channels with a partitioner ([`partitioner`]).
//!
//! Records are typed inside operators and type-erased between them ([`element`]): a batch crosses
//! an operator or channel boundary as one boxed `Vec`, so erasure costs one allocation and one
//! downcast per batch, never per record.
//!
//! Channels are bounded (`crossbeam-channel`), so a slow consumer blocks its producer: that is
//! backpressure, and it travels upstream to the sources.

pub(crate) mod cancel;
pub(crate) mod chain;
pub(crate) mod element;
pub(crate) mod erased_operator;
pub(crate) mod input_gate;
pub(crate) mod metrics;
pub(crate) mod partitioner;
pub(crate) mod record_writer;
pub(crate) mod source_task;
pub(crate) mod split_watermarks;
pub(crate) mod stream_task;
