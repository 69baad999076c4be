//! State time-to-live: how long a value stays visible after its last update, per value, list
//! element or map entry (as Flink's `StateTtlConfig`).
//!
//! Each TTL value carries the processing time of its last update (from the backend's injected
//! [`Clock`](weir_core::clock::Clock)). A value is expired once `last_update + ttl <= now`; expired
//! values are never returned, are dropped when their key's state is next accessed and are not
//! written to snapshots. There is no background cleanup: a key that is never accessed again
//! keeps its expired values in memory until the next restore (a snapshot drops them).
//!
//! It is **not** event-time TTL (Flink has none either) and reads no clock itself: callers pass
//! the time in an `Expiry`.

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::hash::Hash;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;
use weir_core::Timestamp;

/// The TTL of one state, set on its descriptor with `.with_ttl(config)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateTtlConfig {
    pub ttl: Duration,
    pub update_type: TtlUpdateType,
    pub visibility: TtlVisibility,
}

impl StateTtlConfig {
    /// A TTL refreshed on create and write that never returns expired values (Flink's default).
    pub fn new(ttl: Duration) -> Self {
        StateTtlConfig {
            ttl,
            update_type: TtlUpdateType::OnCreateAndWrite,
            visibility: TtlVisibility::NeverReturnExpired,
        }
    }

    pub fn with_update_type(mut self, update_type: TtlUpdateType) -> Self {
        self.update_type = update_type;
        self
    }

    /// The check to apply at `now`; `for_read` says whether reads refresh the timestamp.
    pub(crate) fn expiry(&self, now: Timestamp, for_read: bool) -> Expiry {
        let ttl_ms = i64::try_from(self.ttl.as_millis()).unwrap_or(i64::MAX);
        Expiry { now, ttl_ms, refresh_on_read: for_read && self.update_type == TtlUpdateType::OnReadAndWrite }
    }
}

/// What refreshes a value's timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TtlUpdateType {
    /// Creating or writing the value.
    OnCreateAndWrite,
    /// Also reading it.
    OnReadAndWrite,
}

/// Whether an expired value that was not cleaned up yet may be returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TtlVisibility {
    /// Never: an expired value reads as absent.
    NeverReturnExpired,
}

/// A TTL check fixed at one instant: a handle uses one for all its calls, a snapshot one for all
/// its entries.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Expiry {
    pub(crate) now: Timestamp,
    ttl_ms: i64,
    /// Reads refresh timestamps (`OnReadAndWrite`); never true for a snapshot.
    pub(crate) refresh_on_read: bool,
}

impl Expiry {
    pub(crate) fn is_expired(&self, last_update: Timestamp) -> bool {
        last_update.saturating_add(self.ttl_ms) <= self.now
    }

    /// Marks a value as read: refreshes its timestamp under `OnReadAndWrite`.
    pub(crate) fn read(&self, stamp: &Stamp) {
        if self.refresh_on_read {
            stamp.set(self.now);
        }
    }
}

/// The time of a value's last update. Reads through a shared handle refresh it
/// (`OnReadAndWrite`), so it changes behind `&`: an atomic rather than a `Cell`, because a table
/// frozen for a snapshot is read by the snapshot thread while the subtask goes on (relaxed
/// loads and stores: only the value matters, nothing is ordered by it). Serialized as the bare
/// timestamp.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(from = "Timestamp", into = "Timestamp")]
pub(crate) struct Stamp(AtomicI64);

impl Stamp {
    pub(crate) fn new(at: Timestamp) -> Self {
        Stamp(AtomicI64::new(at))
    }

    pub(crate) fn get(&self) -> Timestamp {
        self.0.load(Ordering::Relaxed)
    }

    pub(crate) fn set(&self, at: Timestamp) {
        self.0.store(at, Ordering::Relaxed);
    }
}

impl Clone for Stamp {
    fn clone(&self) -> Self {
        Stamp::new(self.get())
    }
}

impl From<Timestamp> for Stamp {
    fn from(at: Timestamp) -> Self {
        Stamp::new(at)
    }
}

impl From<Stamp> for Timestamp {
    fn from(stamp: Stamp) -> Self {
        stamp.get()
    }
}

/// A value with the time of its last update.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Stamped<V> {
    pub(crate) value: V,
    pub(crate) stamp: Stamp,
}

impl<V> Stamped<V> {
    pub(crate) fn new(value: V, now: Timestamp) -> Self {
        Stamped { value, stamp: Stamp::new(now) }
    }
}

/// A TTL list: the values and, in step, the time each was added. Kept as two vectors so that
/// the values can still be handed out as one slice.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct TtlList<V> {
    pub(crate) values: Vec<V>,
    pub(crate) stamps: Vec<Stamp>,
}

/// Stored state with timestamps: what the backend needs to drop and skip expired parts.
pub(crate) trait Expiring: Clone + Sized {
    /// Drops the expired parts; false if nothing is left (the key's state should go).
    fn prune(&mut self, expiry: &Expiry) -> bool;

    /// The live part, borrowed when nothing expired; `None` if nothing is live.
    fn live(&self, expiry: &Expiry) -> Option<Cow<'_, Self>>;
}

impl<V: Clone> Expiring for Stamped<V> {
    fn prune(&mut self, expiry: &Expiry) -> bool {
        !expiry.is_expired(self.stamp.get())
    }

    fn live(&self, expiry: &Expiry) -> Option<Cow<'_, Self>> {
        (!expiry.is_expired(self.stamp.get())).then_some(Cow::Borrowed(self))
    }
}

impl<V: Clone> Expiring for TtlList<V> {
    fn prune(&mut self, expiry: &Expiry) -> bool {
        if self.stamps.iter().any(|s| expiry.is_expired(s.get())) {
            let mut stamps = std::mem::take(&mut self.stamps).into_iter();
            let mut kept = Vec::with_capacity(stamps.len());
            self.values.retain(|_| {
                let stamp = stamps.next().unwrap_or_default();
                let live = !expiry.is_expired(stamp.get());
                if live {
                    kept.push(stamp);
                }
                live
            });
            self.stamps = kept;
        }
        !self.values.is_empty()
    }

    fn live(&self, expiry: &Expiry) -> Option<Cow<'_, Self>> {
        let mut copy = self.clone();
        if !copy.prune(expiry) {
            return None;
        }
        Some(if copy.values.len() == self.values.len() { Cow::Borrowed(self) } else { Cow::Owned(copy) })
    }
}

impl<UK: Clone + Eq + Hash, UV: Clone> Expiring for FxHashMap<UK, Stamped<UV>> {
    fn prune(&mut self, expiry: &Expiry) -> bool {
        self.retain(|_, v| !expiry.is_expired(v.stamp.get()));
        !self.is_empty()
    }

    fn live(&self, expiry: &Expiry) -> Option<Cow<'_, Self>> {
        if self.values().all(|v| !expiry.is_expired(v.stamp.get())) {
            return (!self.is_empty()).then_some(Cow::Borrowed(self));
        }
        let mut copy = self.clone();
        copy.prune(expiry).then_some(Cow::Owned(copy))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expiry(now: Timestamp) -> Expiry {
        StateTtlConfig::new(Duration::from_millis(10)).expiry(now, false)
    }

    #[test]
    fn a_value_expires_at_last_update_plus_ttl() {
        assert!(!expiry(109).is_expired(100));
        assert!(expiry(110).is_expired(100));
        assert!(!expiry(0).is_expired(i64::MAX), "no overflow at the end of time");
    }

    #[test]
    fn a_list_keeps_its_live_elements_in_order() {
        let mut list =
            TtlList { values: vec![1, 2, 3], stamps: vec![Stamp::new(100), Stamp::new(95), Stamp::new(101)] };
        assert!(matches!(list.live(&expiry(104)), Some(Cow::Borrowed(_))));
        let live = list.live(&expiry(105)).expect("two live");
        assert_eq!(live.values, vec![1, 3]);
        assert!(list.prune(&expiry(105)));
        assert_eq!(list.values, vec![1, 3]);
        assert_eq!(list.stamps.len(), 2);
        assert!(!list.prune(&expiry(200)));
    }
}
