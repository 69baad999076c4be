//! A state table: one map per key group of the owning subtask's range, and how one key group of
//! it is written to and read from snapshot bytes.
//!
//! What keeps a snapshot's synchronous pause short is that a key group's map can be *shared*:
//! [`ErasedTable::freeze`] moves every map behind an `Arc` (no entry is copied) and hands the
//! snapshot thread a clone of each `Arc`, to serialize while the subtask goes on. The first write
//! to a shared key group takes its map back: without a copy if the snapshot is done with it
//! (`Arc::try_unwrap`), with one if a pending snapshot still reads it. So copying is spread over
//! the key groups written while a snapshot is being written, a key group not written then is never
//! copied, and between snapshots a write costs what a plain map write costs (no atomic operation:
//! an owned map is used directly).

use rustc_hash::FxHashMap;
use serde::de::{DeserializeOwned, DeserializeSeed, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::any::Any;
use std::borrow::Cow;
use std::fmt;
use std::hash::Hash;
use std::sync::Arc;

use crate::ttl::{Expiring, Expiry};

/// The live part of a stored state (TTL tables only).
type LiveFn<S> = for<'s> fn(&'s S, &Expiry) -> Option<Cow<'s, S>>;

/// The state `S` of every key, split by key group (index = position in the subtask's range).
pub(crate) struct StateTable<K, S: Clone> {
    groups: Vec<Group<K, S>>,
    /// Set for TTL state: what of a stored state a snapshot writes.
    live: Option<LiveFn<S>>,
}

/// One key group's map: owned by the table, or shared with snapshots since the last freeze.
enum Group<K, S> {
    Owned(FxHashMap<K, S>),
    Shared(Arc<FxHashMap<K, S>>),
}

impl<K: Eq + Hash + Clone, S: Clone> Group<K, S> {
    #[inline]
    fn map(&self) -> &FxHashMap<K, S> {
        match self {
            Group::Owned(map) => map,
            Group::Shared(map) => map,
        }
    }

    #[inline]
    fn map_mut(&mut self) -> &mut FxHashMap<K, S> {
        if let Group::Shared(_) = self {
            self.take_back();
        }
        match self {
            Group::Owned(map) => map,
            Group::Shared(_) => unreachable!("a shared group was made owned just above"),
        }
    }

    /// Makes a shared group owned again: once per key group and snapshot, so kept out of line.
    #[cold]
    fn take_back(&mut self) {
        if let Group::Shared(shared) = self {
            let map = Arc::try_unwrap(std::mem::take(shared)).unwrap_or_else(|still_read| (*still_read).clone());
            *self = Group::Owned(map);
        }
    }

    fn share(&mut self) -> Arc<FxHashMap<K, S>> {
        if let Group::Owned(map) = self {
            *self = Group::Shared(Arc::new(std::mem::take(map)));
        }
        match self {
            Group::Shared(map) => Arc::clone(map),
            Group::Owned(_) => unreachable!("an owned group was made shared just above"),
        }
    }
}

impl<K: Eq + Hash + Clone, S: Clone> StateTable<K, S> {
    pub(crate) fn new(key_groups: usize) -> Self {
        StateTable { groups: (0..key_groups).map(|_| Group::Owned(FxHashMap::default())).collect(), live: None }
    }

    /// A table of TTL state: snapshots skip what expired.
    pub(crate) fn expiring(key_groups: usize) -> Self
    where
        S: Expiring,
    {
        StateTable { live: Some(S::live), ..StateTable::new(key_groups) }
    }

    /// The map of one key group, for writing; `offset` was checked against the range when the
    /// key was set.
    #[inline]
    pub(crate) fn group_mut(&mut self, offset: usize) -> &mut FxHashMap<K, S> {
        self.groups[offset].map_mut()
    }

    /// How many key groups the table holds (the owning subtask's range).
    pub(crate) fn group_count(&self) -> usize {
        self.groups.len()
    }

    #[inline]
    pub(crate) fn group(&self, offset: usize) -> &FxHashMap<K, S> {
        self.groups[offset].map()
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

/// Decodes a key group's `(key, state)` sequence straight into its map: no intermediate
/// `Vec` of the entries (a restore decodes every entry of the state once, so that copy was a
/// pass over all of it). A key found twice keeps its last state, as `extend` did.
struct IntoMap<'m, K, S> {
    map: &'m mut FxHashMap<K, S>,
    /// At most this many entries are reserved for up front, however many the input claims: the
    /// number of bytes (every entry takes at least one).
    most: usize,
}

impl<'de, K: Deserialize<'de> + Eq + Hash, S: Deserialize<'de>> DeserializeSeed<'de> for IntoMap<'_, K, S> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de, K: Deserialize<'de> + Eq + Hash, S: Deserialize<'de>> Visitor<'de> for IntoMap<'_, K, S> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a sequence of (key, state) pairs")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut entries: A) -> Result<(), A::Error> {
        self.map.reserve(entries.size_hint().unwrap_or(0).min(self.most));
        while let Some((key, state)) = entries.next_element::<(K, S)>()? {
            self.map.insert(key, state);
        }
        Ok(())
    }
}

/// What the backend needs of a table whose types it no longer knows.
pub(crate) trait ErasedTable: Send {
    fn entry_count(&self) -> usize;
    /// The table as it is now, for a snapshot to serialize later (see the module docs).
    /// `expiry` is the snapshot's TTL check (`None` for state without TTL).
    fn freeze(&mut self, expiry: Option<Expiry>) -> Box<dyn FrozenTable>;
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
        self.groups.iter().map(|g| g.map().len()).sum()
    }

    fn freeze(&mut self, expiry: Option<Expiry>) -> Box<dyn FrozenTable> {
        let groups = self.groups.iter_mut().map(Group::share).collect();
        Box::new(FrozenStateTable { groups, live: self.live, expiry })
    }

    fn decode_group(&mut self, offset: usize, bytes: &[u8]) -> Result<(), postcard::Error> {
        let mut input = postcard::Deserializer::from_bytes(bytes);
        IntoMap { map: self.group_mut(offset), most: bytes.len() }.deserialize(&mut input)?;
        if !input.finalize()?.is_empty() {
            return Err(postcard::Error::DeserializeBadEncoding);
        }
        Ok(())
    }

    fn clear(&mut self) {
        // Fresh maps rather than clearing in place: a pending snapshot may still hold the old ones.
        self.groups.iter_mut().for_each(|g| *g = Group::Owned(FxHashMap::default()));
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

/// Per-key access to a table whose stored type is erased, for a store kept under the tables
/// (the RocksDB backend's, module `crate::rocksdb`): it moves single keys' states between the
/// typed maps and bytes. Made for the stored type `S` when a state registers.
pub(crate) struct EntryCodec<K> {
    /// Serializes the state of `key` in key group `offset` into `buf` (cleared first); false if
    /// the key has none.
    pub(crate) encode: fn(&dyn ErasedTable, usize, &K, &mut Vec<u8>) -> Result<bool, postcard::Error>,
    /// Decodes `bytes` as the state of `key` and inserts it into key group `offset`.
    pub(crate) decode: fn(&mut dyn ErasedTable, usize, K, &[u8]) -> Result<(), postcard::Error>,
    /// Takes every entry out of key group `offset`, handing each to `sink` with its state
    /// serialized.
    pub(crate) drain_group: fn(&mut dyn ErasedTable, usize, &mut dyn FnMut(&K, &[u8])) -> Result<(), postcard::Error>,
}

impl<K> Clone for EntryCodec<K> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<K> Copy for EntryCodec<K> {}

impl<K> EntryCodec<K>
where
    K: Serialize + DeserializeOwned + Eq + Hash + Clone + Send + Sync + 'static,
{
    pub(crate) fn of<S: Serialize + DeserializeOwned + Clone + Send + Sync + 'static>() -> Self {
        EntryCodec { encode: encode_entry::<K, S>, decode: decode_entry::<K, S>, drain_group: drain_group::<K, S> }
    }
}

fn typed<K: 'static, S: Clone + 'static>(table: &dyn ErasedTable) -> &StateTable<K, S> {
    // The codec is made together with the table, for the same `S`.
    table.as_any().downcast_ref::<StateTable<K, S>>().expect("an entry codec is used with the table it was made for")
}

fn typed_mut<K: 'static, S: Clone + 'static>(table: &mut dyn ErasedTable) -> &mut StateTable<K, S> {
    table
        .as_any_mut()
        .downcast_mut::<StateTable<K, S>>()
        .expect("an entry codec is used with the table it was made for")
}

fn encode_entry<K: Eq + Hash + Clone + 'static, S: Serialize + Clone + 'static>(
    table: &dyn ErasedTable,
    offset: usize,
    key: &K,
    buf: &mut Vec<u8>,
) -> Result<bool, postcard::Error> {
    buf.clear();
    match typed::<K, S>(table).group(offset).get(key) {
        Some(state) => {
            let written = postcard::to_extend(state, std::mem::take(buf))?;
            *buf = written;
            Ok(true)
        }
        None => Ok(false),
    }
}

fn decode_entry<K: Eq + Hash + Clone + 'static, S: DeserializeOwned + Clone + 'static>(
    table: &mut dyn ErasedTable,
    offset: usize,
    key: K,
    bytes: &[u8],
) -> Result<(), postcard::Error> {
    let state: S = postcard::from_bytes(bytes)?;
    typed_mut::<K, S>(table).group_mut(offset).insert(key, state);
    Ok(())
}

fn drain_group<K: Eq + Hash + Clone + 'static, S: Serialize + Clone + 'static>(
    table: &mut dyn ErasedTable,
    offset: usize,
    sink: &mut dyn FnMut(&K, &[u8]),
) -> Result<(), postcard::Error> {
    let mut buf = Vec::new();
    for (key, state) in typed_mut::<K, S>(table).group_mut(offset).drain() {
        buf = postcard::to_extend(&state, std::mem::take(&mut buf))?;
        sink(&key, &buf);
        buf.clear();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table_with(entries: &[(u64, u32)]) -> StateTable<u64, u32> {
        let mut table = StateTable::new(2);
        table.group_mut(1).extend(entries.iter().copied());
        table
    }

    #[test]
    fn a_group_decodes_into_its_map_as_it_was_encoded() {
        let entries: Vec<(u64, u32)> = (0..1_000).map(|k| (k, (k * 3) as u32)).collect();
        let frozen = table_with(&entries).freeze(None);
        assert_eq!(frozen.encode_group(0).expect("encodes"), None, "an empty group writes nothing");
        let (count, bytes) = frozen.encode_group(1).expect("encodes").expect("entries");
        assert_eq!(count, 1_000);
        let mut restored = StateTable::<u64, u32>::new(2);
        restored.decode_group(1, &bytes).expect("decodes");
        assert_eq!(restored.group(1), table_with(&entries).group(1));
        assert!(restored.group(0).is_empty());
    }

    #[test]
    fn damaged_group_bytes_are_errors_not_huge_allocations() {
        let (_, bytes) = table_with(&[(1, 2), (3, 4)]).freeze(None).encode_group(1).expect("encodes").expect("some");
        let mut restored = StateTable::<u64, u32>::new(2);
        assert!(restored.decode_group(1, &bytes[..bytes.len() - 1]).is_err(), "truncated");
        let mut trailing = bytes.clone();
        trailing.push(0);
        assert!(restored.decode_group(1, &trailing).is_err(), "bytes after the entries");
        // A length of 2^40 entries followed by one entry: refused, with a reservation of at most
        // a few entries rather than an allocation of terabytes.
        let mut claims_too_much = vec![0x80, 0x80, 0x80, 0x80, 0x80, 0x20];
        claims_too_much.extend_from_slice(&bytes[1..]);
        assert!(restored.decode_group(1, &claims_too_much).is_err());
    }
}
