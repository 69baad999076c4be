//! Connected streams: two streams, possibly of different types, feeding one two-input operator,
//! and [`ConnectWith`], which lets `connect` take a stream or a broadcast stream.

use super::broadcast_stream::{BroadcastConnectedStream, BroadcastStream, KeyedBroadcastConnectedStream};
use super::datastream::DataStream;
use super::functions::{CoMap, CoProcessFunction, KeyedCoProcessFunction};
use super::keyed_stream::KeyedStream;
use crate::graph::stream_graph::{NodeKind, StreamEdge};
use crate::operators::co_process::{CoProcessOperator, KeyedCoProcessOperator};
use crate::operators::keyed::KeyedBackend;
use crate::task::erased_operator::{OperatorFactory, TwoInput};
use std::marker::PhantomData;
use std::sync::Arc;
use weir_core::operator::InputSide;
use weir_core::{Data, Key};

/// Two streams for a two-input operator (from [`DataStream::connect`]).
pub struct ConnectedStreams<A, B> {
    pub(crate) first: DataStream<A>,
    pub(crate) second: DataStream<B>,
}

fn two_input_edges<A: Data, B: Data>(first: &DataStream<A>, second: &DataStream<B>) -> Vec<StreamEdge> {
    let mut edges = first.edges(InputSide::First);
    edges.extend(second.edges(InputSide::Second));
    edges
}

/// What `connect` accepts: for [`DataStream::connect`], another [`DataStream`] (giving
/// [`ConnectedStreams`], for a co-process function) or a [`BroadcastStream`] (giving a
/// [`BroadcastConnectedStream`], for the broadcast state pattern); for
/// [`KeyedStream::connect`], another [`KeyedStream`] with the same key type or a
/// `BroadcastStream`. Implemented by those types only.
pub trait ConnectWith<S>: sealed::Sealed {
    /// What connecting `S` with `Self` gives.
    type Connected;

    /// `first` connected with `self`.
    fn connected_to(&self, first: &S) -> Self::Connected;
}

mod sealed {
    pub trait Sealed {}
    impl<T> Sealed for super::DataStream<T> {}
    impl<K, T> Sealed for super::KeyedStream<K, T> {}
    impl<T> Sealed for super::BroadcastStream<T> {}
}

impl<A: Data, B: Data> ConnectWith<DataStream<A>> for DataStream<B> {
    type Connected = ConnectedStreams<A, B>;
    fn connected_to(&self, first: &DataStream<A>) -> ConnectedStreams<A, B> {
        ConnectedStreams { first: first.clone(), second: self.clone() }
    }
}

impl<A: Data, B: Data> ConnectWith<DataStream<A>> for BroadcastStream<B> {
    type Connected = BroadcastConnectedStream<A, B>;
    fn connected_to(&self, first: &DataStream<A>) -> BroadcastConnectedStream<A, B> {
        BroadcastConnectedStream { first: first.clone(), broadcast: self.clone() }
    }
}

impl<K: Key, A: Data, B: Data> ConnectWith<KeyedStream<K, A>> for KeyedStream<K, B> {
    type Connected = KeyedConnectedStreams<K, A, B>;
    fn connected_to(&self, first: &KeyedStream<K, A>) -> KeyedConnectedStreams<K, A, B> {
        KeyedConnectedStreams { first: first.clone(), second: self.clone() }
    }
}

impl<K: Key, A: Data, B: Data> ConnectWith<KeyedStream<K, A>> for BroadcastStream<B> {
    type Connected = KeyedBroadcastConnectedStream<K, A, B>;
    fn connected_to(&self, first: &KeyedStream<K, A>) -> KeyedBroadcastConnectedStream<K, A, B> {
        KeyedBroadcastConnectedStream { first: first.clone(), broadcast: self.clone() }
    }
}

pub(crate) fn add_two_input<A: Data, B: Data, O: Data>(
    first: &DataStream<A>,
    second: &DataStream<B>,
    name: &str,
    factory: OperatorFactory,
) -> DataStream<O> {
    let edges = two_input_edges(first, second);
    let node = first.env.state.borrow_mut().graph.add_node(name.to_string(), NodeKind::Operator(factory), edges, false);
    DataStream::from_node(first.env.clone(), node)
}

impl<A: Data, B: Data> ConnectedStreams<A, B> {
    /// One map function per input, with a common output type (Flink's `CoMapFunction`).
    pub fn map<O: Data, F1, F2>(&self, map1: F1, map2: F2) -> DataStream<O>
    where
        F1: Fn(A) -> O + Send + Sync + 'static,
        F2: Fn(B) -> O + Send + Sync + 'static,
    {
        self.process_named("Co-Map", CoMap { map1: Arc::new(map1), map2: Arc::new(map2) })
    }

    /// A co-process function over both inputs.
    pub fn process<O: Data, F>(&self, function: F) -> DataStream<O>
    where
        F: CoProcessFunction<A, B, O>,
    {
        self.process_named("Co-Process", function)
    }

    fn process_named<O: Data, F>(&self, name: &str, function: F) -> DataStream<O>
    where
        F: CoProcessFunction<A, B, O>,
    {
        let factory: OperatorFactory = Arc::new(move || TwoInput::boxed(CoProcessOperator::new(function.clone())));
        add_two_input(&self.first, &self.second, name, factory)
    }

    /// Keys both inputs, so the two-input operator gets keyed state shared by both.
    pub fn key_by<K: Key, F1, F2>(&self, key1: F1, key2: F2) -> KeyedConnectedStreams<K, A, B>
    where
        F1: Fn(&A) -> K + Send + Sync + 'static,
        F2: Fn(&B) -> K + Send + Sync + 'static,
    {
        KeyedConnectedStreams { first: self.first.key_by(key1), second: self.second.key_by(key2) }
    }
}

/// Two keyed streams with one key type, for a keyed two-input operator.
pub struct KeyedConnectedStreams<K, A, B> {
    pub(crate) first: KeyedStream<K, A>,
    pub(crate) second: KeyedStream<K, B>,
}

impl<K: Key, A: Data, B: Data> KeyedConnectedStreams<K, A, B> {
    /// A keyed co-process function: both inputs see the state of the current record's key.
    pub fn process<O: Data, F>(&self, function: F) -> DataStream<O>
    where
        F: KeyedCoProcessFunction<K, A, B, O>,
    {
        let (key1, key2) = (Arc::clone(&self.first.key_selector), Arc::clone(&self.second.key_selector));
        let factory: OperatorFactory = Arc::new(move || {
            TwoInput::boxed(KeyedCoProcessOperator {
                function: function.clone(),
                key1: Arc::clone(&key1),
                key2: Arc::clone(&key2),
                backend: KeyedBackend::new(),
                _types: PhantomData,
            })
        });
        add_two_input(&self.first.stream, &self.second.stream, "KeyedCoProcess", factory)
    }
}
