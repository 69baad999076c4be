//! State descriptors: the declared name and type of one piece of keyed state.
//!
//! A function keeps its descriptors as fields and passes them to its keyed context on access.
//! The first access registers the state with the subtask's backend and caches the slot it got in
//! the descriptor (an atomic, so descriptors can sit in functions shared across threads before
//! deployment); later accesses skip the lookup by name.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU32, Ordering};

/// The kinds of keyed state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateKind {
    Value,
    List,
    Map,
}

impl fmt::Display for StateKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StateKind::Value => "ValueState",
            StateKind::List => "ListState",
            StateKind::Map => "MapState",
        })
    }
}

const UNREGISTERED: u32 = u32::MAX;

/// The slot a descriptor was registered at, cached.
#[derive(Debug)]
pub(crate) struct SlotCache(AtomicU32);

impl SlotCache {
    fn new() -> Self {
        SlotCache(AtomicU32::new(UNREGISTERED))
    }
    pub(crate) fn get(&self) -> Option<usize> {
        match self.0.load(Ordering::Relaxed) {
            UNREGISTERED => None,
            slot => Some(slot as usize),
        }
    }
    pub(crate) fn set(&self, slot: usize) {
        self.0.store(slot as u32, Ordering::Relaxed);
    }
}

impl Clone for SlotCache {
    fn clone(&self) -> Self {
        SlotCache(AtomicU32::new(self.0.load(Ordering::Relaxed)))
    }
}

macro_rules! descriptor {
    ($(#[$doc:meta])* $name:ident < $($param:ident),+ >, $kind:expr) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name<$($param),+> {
            name: Cow<'static, str>,
            pub(crate) slot: SlotCache,
            _types: PhantomData<fn() -> ($($param,)+)>,
        }

        impl<$($param),+> $name<$($param),+> {
            pub fn new(name: impl Into<Cow<'static, str>>) -> Self {
                $name { name: name.into(), slot: SlotCache::new(), _types: PhantomData }
            }
            pub fn name(&self) -> &str {
                &self.name
            }
            pub const KIND: StateKind = $kind;
        }

        impl<$($param),+> Clone for $name<$($param),+> {
            fn clone(&self) -> Self {
                $name { name: self.name.clone(), slot: self.slot.clone(), _types: PhantomData }
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
    /// Declares a `ListState<V>`: a list of values per key.
    ListStateDescriptor<V>,
    StateKind::List
);
descriptor!(
    /// Declares a `MapState<UK, UV>`: a map per key.
    MapStateDescriptor<UK, UV>,
    StateKind::Map
);
