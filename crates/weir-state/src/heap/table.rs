//! A state table: one map per key group of the owning subtask's range, and how one key group of
//! it is written to and read from snapshot bytes.
//!
//! Each key group's map sits behind an `Arc`, which is what keeps a snapshot's synchronous pause
//! short: [`ErasedTable::freeze`] only clones the `Arc`s (one per key group), and the snapshot
//! thread serializes the frozen maps while the subtask goes on. A write to a key group whose map
//! a pending snapshot still holds copies that one map first (`Arc::make_mut`), so the copying is
//! spread over the key groups written during the asynchronous part, and a key group not written
//! then is never copied. Outside snapshots every map is unshared and writes go straight to it.

use rustc_hash::FxHashMap;
use serde::de::DeserializeOwned;
use serde::{Serialize, Serializer};
use std::any::Any;
use std::borrow::Cow;
use std::hash::Hash;
use std::sync::Arc;

use crate::ttl::{Expiring, Expiry};

/// The live part of a stored state (TTL tables only).
type LiveFn<S> = for<'s> fn(&'s S, &Expiry) -> Option<Cow<'s, S>>;

/// The state `S` of every key, split by key group (index = position in the subtask's range).
pub(crate) struct StateTable<K, S: Clone> {
    groups: Vec<Arc<FxHashMap<K, S>>>,
    /// Set for TTL state: what of a stored state a snapshot writes.
    live: Option<LiveFn<S>>,
}

impl<K, S: Clone> StateTable<K, S> {
    pub(crate) fn new(key_groups: usize) -> Self {
        StateTable { groups: (0..key_groups).map(|_| Arc::default()).collect(), live: None }
    }

    /// A table of TTL state: snapshots skip what expired.
    pub(crate) fn expiring(key_groups: usize) -> Self
    where
        S: Expiring,
    {
        StateTable { live: Some(S::live), ..StateTable::new(key_groups) }
    }

    /// The map of one key group, for writing; `offset` was checked against the range when the
    /// key was set. Copies the map first if a pending snapshot still reads it.
    pub(crate) fn group_mut(&mut self, offset: usize) -> &mut FxHashMap<K, S>
    where
        K: Clone,
    {
        Arc::make_mut(&mut self.groups[offset])
    }

    pub(crate) fn group(&self, offset: usize) -> &FxHashMap<K, S> {
        &self.groups[offset]
    }
}

/// One table as a snapshot saw it: the key groups' maps shared with the live table, and the TTL
/// check of the snapshot's instant. Serializing it reads only these maps.
pub(crate) trait FrozenTable: Send + Sync {
    /// The entries of one key group, serialized, and how many there are; `None` if it has none
    /// (or, with a TTL, none that is live).
    fn encode_group(&self, offset: usize) -> Result<Option<(u64, Vec<u8>)>, postcard::Error>;
}

struct FrozenStateTable<K, S: Clone> {
    groups: Vec<Arc<FxHashMap<K, S>>>,
    live: Option<LiveFn<S>>,
    expiry: Option<Expiry>,
}

impl<K, S> FrozenTable for FrozenStateTable<K, S>
where
    K: Serialize + Send + Sync,
    S: Serialize + Clone + Send + Sync,
{
    fn encode_group(&self, offset: usize) -> Result<Option<(u64, Vec<u8>)>, postcard::Error> {
        let group = &self.groups[offset];
        if group.is_empty() {
            return Ok(None);
        }
        match (self.live, &self.expiry) {
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
    /// The table as it is now, for a snapshot to serialize later (see the module docs).
    /// `expiry` is the snapshot's TTL check (`None` for state without TTL).
    fn freeze(&self, expiry: Option<Expiry>) -> Box<dyn FrozenTable>;
    /// Adds the entries of one key group from bytes written by a frozen table's `encode_group`.
    fn decode_group(&mut self, offset: usize, bytes: &[u8]) -> Result<(), postcard::Error>;
    fn clear(&mut self);
    fn as_any(&self) -> &dyn Any;
    fn as_any_mut(&mut self) -> &mut dyn Any;
}

impl<K, S> ErasedTable for StateTable<K, S>
where
    K: Serialize + DeserializeOwned + Eq + Hash + Clone + Send + Sync + 'static,
    S: Serialize + DeserializeOwned + Clone + Send + Sync + 'static,
{
    fn entry_count(&self) -> usize {
        self.groups.iter().map(|g| g.len()).sum()
    }

    fn freeze(&self, expiry: Option<Expiry>) -> Box<dyn FrozenTable> {
        Box::new(FrozenStateTable { groups: self.groups.clone(), live: self.live, expiry })
    }

    fn decode_group(&mut self, offset: usize, bytes: &[u8]) -> Result<(), postcard::Error> {
        let (entries, rest): (Vec<(K, S)>, _) = postcard::take_from_bytes(bytes)?;
        if !rest.is_empty() {
            return Err(postcard::Error::DeserializeBadEncoding);
        }
        self.group_mut(offset).extend(entries);
        Ok(())
    }

    fn clear(&mut self) {
        // Fresh maps rather than clearing in place: a pending snapshot may still hold the old ones.
        self.groups.iter_mut().for_each(|g| *g = Arc::default());
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}
