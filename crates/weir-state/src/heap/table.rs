//! A state table: one map per key group of the owning subtask's range, and how one key group of
//! it is written to and read from snapshot bytes.

use rustc_hash::FxHashMap;
use serde::de::DeserializeOwned;
use serde::{Serialize, Serializer};
use std::any::Any;
use std::borrow::Cow;
use std::hash::Hash;

use crate::ttl::{Expiring, Expiry};

/// The live part of a stored state (TTL tables only).
type LiveFn<S> = for<'s> fn(&'s S, &Expiry) -> Option<Cow<'s, S>>;

/// The state `S` of every key, split by key group (index = position in the subtask's range).
pub(crate) struct StateTable<K, S: Clone> {
    groups: Vec<FxHashMap<K, S>>,
    /// Set for TTL state: what of a stored state a snapshot writes.
    live: Option<LiveFn<S>>,
}

impl<K, S: Clone> StateTable<K, S> {
    pub(crate) fn new(key_groups: usize) -> Self {
        StateTable { groups: (0..key_groups).map(|_| FxHashMap::default()).collect(), live: None }
    }

    /// A table of TTL state: snapshots skip what expired.
    pub(crate) fn expiring(key_groups: usize) -> Self
    where
        S: Expiring,
    {
        StateTable { live: Some(S::live), ..StateTable::new(key_groups) }
    }

    /// The map of one key group; `offset` was checked against the range when the key was set.
    pub(crate) fn group_mut(&mut self, offset: usize) -> &mut FxHashMap<K, S> {
        &mut self.groups[offset]
    }

    pub(crate) fn group(&self, offset: usize) -> &FxHashMap<K, S> {
        &self.groups[offset]
    }
}

/// A key group's entries as a postcard sequence of `(key, state)` pairs.
struct Entries<'a, K, S>(&'a FxHashMap<K, S>);

impl<K: Serialize, S: Serialize> Serialize for Entries<'_, K, S> {
    fn serialize<Ser: Serializer>(&self, serializer: Ser) -> Result<Ser::Ok, Ser::Error> {
        serializer.collect_seq(self.0.iter())
    }
}

/// What the backend needs of a table whose types it no longer knows.
pub(crate) trait ErasedTable: Send {
    fn entry_count(&self) -> usize;
    /// The entries of one key group, serialized, and how many there are; `None` if it has
    /// none. `expiry` is the snapshot's TTL check (`None` for state without TTL).
    fn encode_group(&self, offset: usize, expiry: Option<&Expiry>) -> Result<Option<(u64, Vec<u8>)>, postcard::Error>;
    /// Adds the entries of one key group from bytes written by `encode_group`.
    fn decode_group(&mut self, offset: usize, bytes: &[u8]) -> Result<(), postcard::Error>;
    fn clear(&mut self);
    fn as_any(&self) -> &dyn Any;
    fn as_any_mut(&mut self) -> &mut dyn Any;
}

impl<K, S> ErasedTable for StateTable<K, S>
where
    K: Serialize + DeserializeOwned + Eq + Hash + Send + 'static,
    S: Serialize + DeserializeOwned + Clone + Send + 'static,
{
    fn entry_count(&self) -> usize {
        self.groups.iter().map(FxHashMap::len).sum()
    }

    fn encode_group(&self, offset: usize, expiry: Option<&Expiry>) -> Result<Option<(u64, Vec<u8>)>, postcard::Error> {
        let group = &self.groups[offset];
        if group.is_empty() {
            return Ok(None);
        }
        match (self.live, expiry) {
            (Some(live), Some(expiry)) => {
                let entries: Vec<(&K, Cow<'_, S>)> =
                    group.iter().filter_map(|(k, s)| live(s, expiry).map(|s| (k, s))).collect();
                if entries.is_empty() {
                    return Ok(None);
                }
                Ok(Some((entries.len() as u64, postcard::to_stdvec(&entries)?)))
            }
            _ => Ok(Some((group.len() as u64, postcard::to_stdvec(&Entries(group))?))),
        }
    }

    fn decode_group(&mut self, offset: usize, bytes: &[u8]) -> Result<(), postcard::Error> {
        let (entries, rest): (Vec<(K, S)>, _) = postcard::take_from_bytes(bytes)?;
        if !rest.is_empty() {
            return Err(postcard::Error::DeserializeBadEncoding);
        }
        self.groups[offset].extend(entries);
        Ok(())
    }

    fn clear(&mut self) {
        self.groups.iter_mut().for_each(FxHashMap::clear);
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}
