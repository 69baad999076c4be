//! State descriptors: the declared name and type of one piece of keyed state.
//!
//! A function keeps its descriptors as fields and passes them to its keyed context on access.
//! The first access registers the state with the subtask's backend and caches the slot it got in
//! the descriptor (an atomic, so descriptors can sit in functions shared across threads before
//! deployment); later accesses skip the lookup by name.
//!
//! Every descriptor may carry a [`StateTtlConfig`]; reducing and aggregating descriptors also
//! carry the function that folds added values into the stored one.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};
use weir_core::window::AggregateFunction;

use crate::ttl::StateTtlConfig;

/// The kinds of keyed state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StateKind {
    Value,
    List,
    Map,
    Reducing,
    Aggregating,
}

impl fmt::Display for StateKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StateKind::Value => "ValueState",
            StateKind::List => "ListState",
            StateKind::Map => "MapState",
            StateKind::Reducing => "ReducingState",
            StateKind::Aggregating => "AggregatingState",
        })
    }
}

const UNREGISTERED: u64 = u64::MAX;
/// Bits of the cached word that hold the slot; the others hold the backend's id.
const SLOT_BITS: u32 = 24;

/// The slot a descriptor was registered at in one backend, cached, so that a state access finds
/// its table without comparing names. Tagged with the backend's id (see
/// [`next_backend_id`]): a descriptor used with another backend (another subtask, a restarted
/// one) misses and falls back to the name.
#[derive(Debug)]
pub(crate) struct SlotCache(AtomicU64);

impl SlotCache {
    fn new() -> Self {
        SlotCache(AtomicU64::new(UNREGISTERED))
    }

    /// The slot cached for backend `owner`.
    pub(crate) fn get(&self, owner: u64) -> Option<usize> {
        let word = self.0.load(Ordering::Relaxed);
        (word != UNREGISTERED && word >> SLOT_BITS == owner).then_some((word & ((1 << SLOT_BITS) - 1)) as usize)
    }

    /// Caches `slot` of backend `owner`; a slot too large to cache is simply not cached.
    pub(crate) fn set(&self, owner: u64, slot: usize) {
        if slot < (1 << SLOT_BITS) && owner < (1 << (64 - SLOT_BITS)) - 1 {
            self.0.store(owner << SLOT_BITS | slot as u64, Ordering::Relaxed);
        }
    }
}

/// A fresh id for a state backend, unique in the process (2^40 of them before they run out,
/// after which slots are no longer cached and accesses compare names).
pub(crate) fn next_backend_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

impl Clone for SlotCache {
    fn clone(&self) -> Self {
        SlotCache(AtomicU64::new(self.0.load(Ordering::Relaxed)))
    }
}

macro_rules! descriptor {
    ($(#[$doc:meta])* $name:ident < $($param:ident),+ >, $kind:expr) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name<$($param),+> {
            name: Cow<'static, str>,
            pub(crate) slot: SlotCache,
            ttl: Option<StateTtlConfig>,
            _types: PhantomData<fn() -> ($($param,)+)>,
        }

        impl<$($param),+> $name<$($param),+> {
            pub fn new(name: impl Into<Cow<'static, str>>) -> Self {
                $name { name: name.into(), slot: SlotCache::new(), ttl: None, _types: PhantomData }
            }
            pub const KIND: StateKind = $kind;
        }

        descriptor_common!($name < $($param),+ >);

        impl<$($param),+> Clone for $name<$($param),+> {
            fn clone(&self) -> Self {
                $name { name: self.name.clone(), slot: self.slot.clone(), ttl: self.ttl, _types: PhantomData }
            }
        }
    };
}

/// Name and TTL accessors shared by every descriptor.
macro_rules! descriptor_common {
    ($name:ident < $($param:ident),+ >) => {
        impl<$($param),+> $name<$($param),+> {
            pub fn name(&self) -> &str {
                &self.name
            }
            /// Gives the state a time-to-live (see [`crate::ttl`]).
            pub fn with_ttl(mut self, config: StateTtlConfig) -> Self {
                self.ttl = Some(config);
                self
            }
            pub fn ttl(&self) -> Option<&StateTtlConfig> {
                self.ttl.as_ref()
            }
        }
    };
}

descriptor!(
    /// Declares a `ValueState<V>`: one value per key.
    ValueStateDescriptor<V>,
    StateKind::Value
);
descriptor!(
    /// Declares a `ListState<V>`: a list of values per key (and, with an operator state backend,
    /// an operator list state).
    ListStateDescriptor<V>,
    StateKind::List
);
descriptor!(
    /// Declares a `MapState<UK, UV>`: a map per key (and, with an operator state backend, a
    /// broadcast state).
    MapStateDescriptor<UK, UV>,
    StateKind::Map
);

/// The function of a reducing state: combines the stored value with an added one.
pub type ReduceFn<V> = Arc<dyn Fn(&V, &V) -> V + Send + Sync>;

/// Declares a `ReducingState<V>`: one value per key, into which added values are reduced.
pub struct ReducingStateDescriptor<V> {
    name: Cow<'static, str>,
    pub(crate) slot: SlotCache,
    ttl: Option<StateTtlConfig>,
    pub(crate) reduce: ReduceFn<V>,
}

impl<V> ReducingStateDescriptor<V> {
    pub fn new(name: impl Into<Cow<'static, str>>, reduce: impl Fn(&V, &V) -> V + Send + Sync + 'static) -> Self {
        ReducingStateDescriptor { name: name.into(), slot: SlotCache::new(), ttl: None, reduce: Arc::new(reduce) }
    }
    pub const KIND: StateKind = StateKind::Reducing;

    /// The function that folds added values into the stored one.
    pub fn reduce_function(&self) -> &ReduceFn<V> {
        &self.reduce
    }
}

descriptor_common!(ReducingStateDescriptor<V>);

impl<V> Clone for ReducingStateDescriptor<V> {
    fn clone(&self) -> Self {
        ReducingStateDescriptor {
            name: self.name.clone(),
            slot: self.slot.clone(),
            ttl: self.ttl,
            reduce: Arc::clone(&self.reduce),
        }
    }
}

impl<V> fmt::Debug for ReducingStateDescriptor<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReducingStateDescriptor").field("name", &self.name).field("ttl", &self.ttl).finish()
    }
}

/// Declares an `AggregatingState<IN, ACC, OUT>`: one accumulator per key, into which added
/// values are folded by an [`AggregateFunction`]; reads give its result.
pub struct AggregatingStateDescriptor<IN, ACC, OUT> {
    name: Cow<'static, str>,
    pub(crate) slot: SlotCache,
    ttl: Option<StateTtlConfig>,
    pub(crate) aggregate: Arc<dyn AggregateFunction<IN, ACC, OUT>>,
}

impl<IN, ACC, OUT> AggregatingStateDescriptor<IN, ACC, OUT> {
    pub fn new(name: impl Into<Cow<'static, str>>, aggregate: impl AggregateFunction<IN, ACC, OUT> + 'static) -> Self {
        AggregatingStateDescriptor {
            name: name.into(),
            slot: SlotCache::new(),
            ttl: None,
            aggregate: Arc::new(aggregate),
        }
    }
    pub const KIND: StateKind = StateKind::Aggregating;

    /// The aggregate that folds added values into the accumulator.
    pub fn aggregate_function(&self) -> &dyn AggregateFunction<IN, ACC, OUT> {
        &*self.aggregate
    }
}

descriptor_common!(AggregatingStateDescriptor<IN, ACC, OUT>);

impl<IN, ACC, OUT> Clone for AggregatingStateDescriptor<IN, ACC, OUT> {
    fn clone(&self) -> Self {
        AggregatingStateDescriptor {
            name: self.name.clone(),
            slot: self.slot.clone(),
            ttl: self.ttl,
            aggregate: Arc::clone(&self.aggregate),
        }
    }
}

impl<IN, ACC, OUT> fmt::Debug for AggregatingStateDescriptor<IN, ACC, OUT> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AggregatingStateDescriptor").field("name", &self.name).field("ttl", &self.ttl).finish()
    }
}
