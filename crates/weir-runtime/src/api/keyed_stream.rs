//! `KeyedStream<K, T>`: a stream partitioned by key, whose operators have keyed state.

use super::connected::ConnectWith;
use super::datastream::DataStream;
use super::functions::KeyedProcessFunction;
use crate::operators::keyed::{KeySelector, KeyedProcessOperator};
use crate::operators::reduce::ReduceOperator;
use crate::task::erased_operator::{OneInput, OperatorFactory};
use std::sync::Arc;
use weir_core::operator::InputSide;
use weir_core::{Data, Key};

/// A stream partitioned by a key selector (from [`DataStream::key_by`]).
pub struct KeyedStream<K, T> {
    pub(crate) stream: DataStream<T>,
    pub(crate) key_selector: KeySelector<T, K>,
}

impl<K, T> Clone for KeyedStream<K, T> {
    fn clone(&self) -> Self {
        KeyedStream { stream: self.stream.clone(), key_selector: Arc::clone(&self.key_selector) }
    }
}

impl<K: Key, T: Data> KeyedStream<K, T> {
    /// A keyed process function per record, with state scoped to the record's key.
    pub fn process<U: Data, F>(&self, function: F) -> DataStream<U>
    where
        F: KeyedProcessFunction<K, T, U>,
    {
        let key_selector = Arc::clone(&self.key_selector);
        let factory: OperatorFactory =
            Arc::new(move || OneInput::boxed(KeyedProcessOperator::new(function.clone(), Arc::clone(&key_selector))));
        self.stream.add_operator("KeyedProcess", factory, self.stream.edges(InputSide::First))
    }

    /// A rolling reduction per key: emits the new aggregate of the record's key for every record.
    pub fn reduce<F>(&self, f: F) -> DataStream<T>
    where
        F: Fn(T, T) -> T + Send + Sync + 'static,
    {
        let function = Arc::new(f);
        let key_selector = Arc::clone(&self.key_selector);
        let factory: OperatorFactory =
            Arc::new(move || OneInput::boxed(ReduceOperator::new(Arc::clone(&function), Arc::clone(&key_selector))));
        self.stream.add_operator("Keyed Reduce", factory, self.stream.edges(InputSide::First))
    }

    /// This keyed stream and `other` for an operator with two inputs: with another keyed
    /// stream of the same key type, [`KeyedConnectedStreams`] for a function whose two inputs
    /// share keyed state (joins, enrichment, control streams); with a [`BroadcastStream`], a
    /// [`KeyedBroadcastConnectedStream`] for a keyed broadcast process function.
    ///
    /// [`KeyedConnectedStreams`]: super::connected::KeyedConnectedStreams
    /// [`BroadcastStream`]: super::broadcast_stream::BroadcastStream
    /// [`KeyedBroadcastConnectedStream`]: super::broadcast_stream::KeyedBroadcastConnectedStream
    pub fn connect<S: ConnectWith<KeyedStream<K, T>>>(&self, other: &S) -> S::Connected {
        other.connected_to(self)
    }
}
