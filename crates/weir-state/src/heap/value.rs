//! [`ValueState`]: the one value of the current key.

use rustc_hash::FxHashMap;
use std::hash::Hash;

use crate::ttl::{Expiry, Stamped};

/// The value state of the current key.
///
/// With a TTL, the handle checks expiry at one instant (when it was handed out): an expired value
/// is dropped then and reads as absent.
pub struct ValueState<'a, K, V> {
    key: &'a K,
    store: Store<'a, K, V>,
}

enum Store<'a, K, V> {
    Plain(&'a mut FxHashMap<K, V>),
    Ttl(&'a mut FxHashMap<K, Stamped<V>>, Expiry),
}

impl<'a, K: Eq + Hash + Clone, V> ValueState<'a, K, V> {
    pub(crate) fn new(map: &'a mut FxHashMap<K, V>, key: &'a K) -> Self {
        ValueState { key, store: Store::Plain(map) }
    }

    pub(crate) fn with_ttl(map: &'a mut FxHashMap<K, Stamped<V>>, key: &'a K, expiry: Expiry) -> Self {
        if map.get(key).is_some_and(|v| expiry.is_expired(v.stamp.get())) {
            map.remove(key);
        }
        ValueState { key, store: Store::Ttl(map, expiry) }
    }

    /// The value, if one was set.
    #[inline]
    pub fn get(&self) -> Option<&V> {
        match &self.store {
            Store::Plain(map) => map.get(self.key),
            Store::Ttl(map, expiry) => map.get(self.key).map(|v| {
                expiry.read(&v.stamp);
                &v.value
            }),
        }
    }

    /// A copy of the value, if one was set.
    #[inline]
    pub fn value(&self) -> Option<V>
    where
        V: Clone,
    {
        self.get().cloned()
    }

    /// Removes the value and returns it.
    pub fn take(&mut self) -> Option<V> {
        match &mut self.store {
            Store::Plain(map) => map.remove(self.key),
            Store::Ttl(map, _) => map.remove(self.key).map(|v| v.value),
        }
    }

    /// The value, to change in place (with a TTL, this counts as a write).
    #[inline]
    pub fn get_mut(&mut self) -> Option<&mut V> {
        match &mut self.store {
            Store::Plain(map) => map.get_mut(self.key),
            Store::Ttl(map, expiry) => map.get_mut(self.key).map(|v| {
                v.stamp.set(expiry.now);
                &mut v.value
            }),
        }
    }

    /// The value, created with `init` if there is none, to change in place.
    #[inline]
    pub fn get_or_insert_with(&mut self, init: impl FnOnce() -> V) -> &mut V {
        // Looked up twice rather than through `entry`, so a hit does not clone the key.
        match &mut self.store {
            Store::Plain(map) => {
                if !map.contains_key(self.key) {
                    map.insert(self.key.clone(), init());
                }
                map.get_mut(self.key).expect("the value was inserted above")
            }
            Store::Ttl(map, expiry) => {
                if !map.contains_key(self.key) {
                    map.insert(self.key.clone(), Stamped::new(init(), expiry.now));
                }
                let v = map.get_mut(self.key).expect("the value was inserted above");
                v.stamp.set(expiry.now);
                &mut v.value
            }
        }
    }

    /// Sets the value.
    #[inline]
    pub fn update(&mut self, value: V) {
        match &mut self.store {
            Store::Plain(map) => match map.get_mut(self.key) {
                Some(slot) => *slot = value,
                None => {
                    map.insert(self.key.clone(), value);
                }
            },
            Store::Ttl(map, expiry) => {
                let value = Stamped::new(value, expiry.now);
                match map.get_mut(self.key) {
                    Some(slot) => *slot = value,
                    None => {
                        map.insert(self.key.clone(), value);
                    }
                }
            }
        }
    }

    /// Removes the value.
    pub fn clear(&mut self) {
        self.take();
    }
}
