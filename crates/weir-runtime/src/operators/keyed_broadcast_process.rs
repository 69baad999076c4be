//! `process` on a keyed stream connected with a broadcast stream: a
//! [`KeyedBroadcastProcessFunction`], with keyed state and timers ([`KeyedBackend`]) for the
//! keyed input and broadcast state for both; snapshotted together (`keyed_broadcast_snapshot`).

use super::keyed::{KeySelector, KeyedBackend};
use super::keyed_broadcast_snapshot;
use crate::api::broadcast_functions::{
    BroadcastContext, BroadcastStates, KeyedBroadcastProcessFunction, KeyedReadOnlyContext,
};
use crate::api::functions::Collector;
use std::marker::PhantomData;
use std::sync::Arc;
use weir_core::operator::{OperatorContext, TwoInputOperator};
use weir_core::record::Batch;
use weir_core::snapshot::{CheckpointInfo, StateSnapshot};
use weir_core::{Key, Output, Result, Timestamp, Watermark};
use weir_state::OperatorStateBackend;

/// First input: the keyed stream; second input: the broadcast stream.
pub(crate) struct KeyedBroadcastProcessOperator<K, In, B, Out, F> {
    function: F,
    key_selector: KeySelector<In, K>,
    backend: KeyedBackend<K>,
    broadcast: OperatorStateBackend,
    /// The broadcast states declared on the broadcast stream.
    declared: Arc<[String]>,
    _types: PhantomData<fn(In, B) -> Out>,
}

impl<K: Key, In, B, Out, F> KeyedBroadcastProcessOperator<K, In, B, Out, F> {
    pub(crate) fn new(function: F, key_selector: KeySelector<In, K>, declared: Arc<[String]>) -> Self {
        KeyedBroadcastProcessOperator {
            function,
            key_selector,
            backend: KeyedBackend::new(),
            broadcast: OperatorStateBackend::new(),
            declared,
            _types: PhantomData,
        }
    }
}

impl<K, In, B, Out, F> TwoInputOperator<In, B, Out> for KeyedBroadcastProcessOperator<K, In, B, Out, F>
where
    K: Key,
    In: Send,
    B: Send,
    Out: Send,
    F: KeyedBroadcastProcessFunction<K, In, B, Out>,
{
    fn on_start(&mut self, ctx: &OperatorContext) -> Result<()> {
        let (keyed, broadcast) = keyed_broadcast_snapshot::start(ctx)?;
        self.backend.on_start(&keyed)?;
        self.broadcast = broadcast;
        self.function.open(ctx)
    }

    fn snapshot_state(&mut self, checkpoint: &CheckpointInfo, _out: &mut Output<Out>) -> Result<Option<StateSnapshot>> {
        keyed_broadcast_snapshot::snapshot(self.backend.snapshot(checkpoint)?, &self.broadcast)
    }

    fn notify_checkpoint_complete(&mut self, id: u64) -> Result<()> {
        self.backend.notify_checkpoint_complete(id);
        Ok(())
    }

    fn process_batch1(&mut self, batch: Batch<In>, out: &mut Output<Out>) -> Result<()> {
        for record in batch {
            let key = (self.key_selector)(&record.value);
            let mut ctx = KeyedReadOnlyContext {
                keyed: self.backend.context(key, out, record.timestamp)?,
                states: BroadcastStates { backend: &mut self.broadcast, declared: &self.declared },
            };
            self.function.process_element(record.value, &mut ctx)?;
        }
        Ok(())
    }

    fn process_batch2(&mut self, batch: Batch<B>, out: &mut Output<Out>) -> Result<()> {
        for record in batch {
            let mut ctx = BroadcastContext {
                emit: Collector { out: &mut *out, timestamp: record.timestamp },
                states: BroadcastStates { backend: &mut self.broadcast, declared: &self.declared },
            };
            self.function.process_broadcast_element(record.value, &mut ctx)?;
        }
        Ok(())
    }

    fn handle_watermark(&mut self, watermark: Watermark, out: &mut Output<Out>) -> Result<()> {
        let (function, broadcast, declared) = (&mut self.function, &mut self.broadcast, &*self.declared);
        self.backend.advance_watermark(watermark, out, |time, domain, keyed| {
            let states = BroadcastStates { backend: &mut *broadcast, declared };
            function.on_timer(time, domain, &mut KeyedReadOnlyContext { keyed, states })
        })?;
        out.emit_watermark(watermark);
        Ok(())
    }

    fn next_processing_time(&self) -> Option<Timestamp> {
        self.backend.next_processing_time()
    }

    fn on_processing_time(&mut self, now: Timestamp, out: &mut Output<Out>) -> Result<()> {
        let (function, broadcast, declared) = (&mut self.function, &mut self.broadcast, &*self.declared);
        self.backend.advance_processing_time(now, out, |time, domain, keyed| {
            let states = BroadcastStates { backend: &mut *broadcast, declared };
            function.on_timer(time, domain, &mut KeyedReadOnlyContext { keyed, states })
        })
    }
}
