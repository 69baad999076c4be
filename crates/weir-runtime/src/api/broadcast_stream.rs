//! The broadcast state pattern's streams: a [`BroadcastStream`] (a stream broadcast to every
//! subtask of the operator it feeds, with the broadcast states it fills), and what connecting a
//! stream or a keyed stream with it gives: [`BroadcastConnectedStream`] and
//! [`KeyedBroadcastConnectedStream`], whose `process` takes the functions of
//! `broadcast_functions`.

use super::broadcast_functions::{BroadcastProcessFunction, KeyedBroadcastProcessFunction};
use super::connected::add_two_input;
use super::datastream::DataStream;
use super::keyed_stream::KeyedStream;
use crate::operators::broadcast_process::BroadcastProcessOperator;
use crate::operators::keyed_broadcast_process::KeyedBroadcastProcessOperator;
use crate::task::erased_operator::{OperatorFactory, TwoInput};
use std::sync::Arc;
use weir_core::{Data, Key};
use weir_state::MapStateDescriptor;

/// A stream broadcast to every subtask of the operator it is connected to, with the broadcast
/// states that operator keeps (from [`DataStream::broadcast_state`]; Flink's `BroadcastStream`).
pub struct BroadcastStream<T> {
    /// Already partitioned with `broadcast()`.
    pub(crate) stream: DataStream<T>,
    /// The names of the declared broadcast states.
    pub(crate) states: Vec<String>,
}

impl<T> Clone for BroadcastStream<T> {
    fn clone(&self) -> Self {
        BroadcastStream { stream: self.stream.clone(), states: self.states.clone() }
    }
}

impl<T: Data> DataStream<T> {
    /// This stream broadcast to every subtask of the operator it is connected to, which keeps
    /// the broadcast state `descriptor` names (Flink's `broadcast(MapStateDescriptor...)`).
    /// Connect a stream or a keyed stream with it (`connect`) for the broadcast state pattern.
    pub fn broadcast_state<K: Key, V: Data>(&self, descriptor: &MapStateDescriptor<K, V>) -> BroadcastStream<T> {
        BroadcastStream { stream: self.broadcast(), states: vec![descriptor.name().to_string()] }
    }
}

impl<T: Data> BroadcastStream<T> {
    /// Declares one more broadcast state.
    pub fn with_state<K: Key, V: Data>(mut self, descriptor: &MapStateDescriptor<K, V>) -> Self {
        if !self.states.iter().any(|name| name == descriptor.name()) {
            self.states.push(descriptor.name().to_string());
        }
        self
    }
}

/// A stream connected with a broadcast stream (from `DataStream::connect`).
pub struct BroadcastConnectedStream<A, B> {
    pub(crate) first: DataStream<A>,
    pub(crate) broadcast: BroadcastStream<B>,
}

impl<A: Data, B: Data> BroadcastConnectedStream<A, B> {
    /// A broadcast process function over both inputs.
    pub fn process<O: Data, F>(&self, function: F) -> DataStream<O>
    where
        F: BroadcastProcessFunction<A, B, O>,
    {
        let declared: Arc<[String]> = self.broadcast.states.clone().into();
        let factory: OperatorFactory =
            Arc::new(move || TwoInput::boxed(BroadcastProcessOperator::new(function.clone(), Arc::clone(&declared))));
        add_two_input(&self.first, &self.broadcast.stream, "Co-Process-Broadcast", factory)
    }
}

/// A keyed stream connected with a broadcast stream (from `KeyedStream::connect`).
pub struct KeyedBroadcastConnectedStream<K, A, B> {
    pub(crate) first: KeyedStream<K, A>,
    pub(crate) broadcast: BroadcastStream<B>,
}

impl<K: Key, A: Data, B: Data> KeyedBroadcastConnectedStream<K, A, B> {
    /// A keyed broadcast process function over both inputs: the keyed input with the state of
    /// its record's key, the broadcast input with broadcast state.
    pub fn process<O: Data, F>(&self, function: F) -> DataStream<O>
    where
        F: KeyedBroadcastProcessFunction<K, A, B, O>,
    {
        let declared: Arc<[String]> = self.broadcast.states.clone().into();
        let key_selector = Arc::clone(&self.first.key_selector);
        let factory: OperatorFactory = Arc::new(move || {
            TwoInput::boxed(KeyedBroadcastProcessOperator::new(
                function.clone(),
                Arc::clone(&key_selector),
                Arc::clone(&declared),
            ))
        });
        add_two_input(&self.first.stream, &self.broadcast.stream, "Co-Process-Broadcast-Keyed", factory)
    }
}
