//! TTL of keyed state, driven by a manual clock: expiry per value, list element and map entry,
//! refresh on read, and snapshots that leave expired values out and keep timestamps.

use std::sync::Arc;
use std::time::Duration;
use weir_core::KeyGroupRange;
use weir_core::key_group::assign_key_group;
use weir_state::{
    KeyedStateBackend, ListStateDescriptor, MapStateDescriptor, ReducingStateDescriptor, StateTtlConfig, TtlUpdateType,
    ValueStateDescriptor,
};
use weir_testkit::ManualClock;

const MAX: usize = 16;

fn backend(clock: &ManualClock) -> KeyedStateBackend<u32> {
    KeyedStateBackend::new(KeyGroupRange { start: 0, end: MAX as u32 }).with_clock(Arc::new(clock.clone()))
}

fn set(b: &mut KeyedStateBackend<u32>, key: u32) {
    let group = assign_key_group(&key, MAX).expect("hash");
    b.set_current_key(key, group).expect("in range");
}

fn ttl(ms: u64) -> StateTtlConfig {
    StateTtlConfig::new(Duration::from_millis(ms))
}

#[test]
fn a_value_expires_ttl_after_its_last_write() {
    let clock = ManualClock::new(1_000);
    let v = ValueStateDescriptor::<u64>::new("v").with_ttl(ttl(100));
    let mut b = backend(&clock);
    set(&mut b, 1);
    b.value(&v).expect("v").update(7);
    clock.advance(Duration::from_millis(60));
    assert_eq!(b.value(&v).expect("v").value(), Some(7), "reads do not refresh under OnCreateAndWrite");
    clock.advance(Duration::from_millis(39));
    assert_eq!(b.value(&v).expect("v").value(), Some(7));
    clock.advance(Duration::from_millis(1));
    assert_eq!(b.value(&v).expect("v").value(), None, "expired at write + ttl");
    assert_eq!(b.entry_count(), 0, "dropped on access");
}

#[test]
fn writes_refresh_and_on_read_and_write_reads_refresh_too() {
    let clock = ManualClock::new(0);
    let write_only = ValueStateDescriptor::<u64>::new("w").with_ttl(ttl(100));
    let on_read =
        ValueStateDescriptor::<u64>::new("r").with_ttl(ttl(100).with_update_type(TtlUpdateType::OnReadAndWrite));
    let mut b = backend(&clock);
    set(&mut b, 1);
    b.value(&write_only).expect("w").update(1);
    b.value(&on_read).expect("r").update(1);
    clock.advance(Duration::from_millis(90));
    *b.value(&write_only).expect("w").get_or_insert_with(|| 0) += 1;
    assert_eq!(b.value(&on_read).expect("r").value(), Some(1));
    clock.advance(Duration::from_millis(90));
    assert_eq!(b.value(&write_only).expect("w").value(), Some(2), "the in-place change was a write");
    assert_eq!(b.value(&on_read).expect("r").value(), Some(1), "the read refreshed it");
    clock.advance(Duration::from_millis(100));
    assert_eq!(b.value(&write_only).expect("w").value(), None);
    assert_eq!(b.value(&on_read).expect("r").value(), None);
}

#[test]
fn list_elements_and_map_entries_expire_one_by_one() {
    let clock = ManualClock::new(0);
    let list = ListStateDescriptor::<u32>::new("l").with_ttl(ttl(100));
    let map = MapStateDescriptor::<u32, u32>::new("m").with_ttl(ttl(100));
    let mut b = backend(&clock);
    set(&mut b, 1);
    b.list(&list).expect("l").add(1);
    b.map(&map).expect("m").put(1, 10);
    clock.advance(Duration::from_millis(50));
    b.list(&list).expect("l").add(2);
    b.map(&map).expect("m").put(2, 20);
    clock.advance(Duration::from_millis(50));
    assert_eq!(b.list(&list).expect("l").get(), &[2]);
    let m = b.map(&map).expect("m");
    assert_eq!((m.get(&1), m.get(&2), m.len()), (None, Some(&20), 1));
    assert_eq!(m.iter().collect::<Vec<_>>(), vec![(&2, &20)]);
    assert_eq!(b.map_get(&map, &2).expect("read"), Some(20));
    clock.advance(Duration::from_millis(50));
    assert_eq!(b.map_get(&map, &2).expect("read"), None, "a read-only access never returns expired entries");
    assert!(b.list(&list).expect("l").get().is_empty());
    assert!(b.map(&map).expect("m").is_empty());
    assert_eq!(b.entry_count(), 0);
}

#[test]
fn reducing_state_with_ttl() {
    let clock = ManualClock::new(0);
    let sum = ReducingStateDescriptor::<u64>::new("sum", |a, b| a + b).with_ttl(ttl(100));
    let mut b = backend(&clock);
    set(&mut b, 1);
    b.reducing(&sum).expect("sum").add(1);
    clock.advance(Duration::from_millis(99));
    b.reducing(&sum).expect("sum").add(2);
    clock.advance(Duration::from_millis(99));
    assert_eq!(b.reducing(&sum).expect("sum").get(), Some(&3), "add refreshed");
    clock.advance(Duration::from_millis(1));
    assert_eq!(b.reducing(&sum).expect("sum").get(), None);
}

#[test]
fn snapshots_leave_expired_values_out_and_keep_timestamps() {
    let clock = ManualClock::new(0);
    let v = ValueStateDescriptor::<u64>::new("v").with_ttl(ttl(100));
    let mut b = backend(&clock);
    set(&mut b, 1);
    b.value(&v).expect("v").update(1);
    clock.advance(Duration::from_millis(60));
    set(&mut b, 2);
    b.value(&v).expect("v").update(2);
    clock.advance(Duration::from_millis(50)); // key 1 expired, not accessed since
    let snapshot = b.snapshot().expect("snapshot");
    assert_eq!(snapshot.entry_count(), 1, "the expired value is not written");

    let mut r = backend(&clock);
    r.restore(&[snapshot]).expect("restore");
    set(&mut r, 2);
    assert_eq!(r.value(&v).expect("v").value(), Some(2));
    clock.advance(Duration::from_millis(50));
    assert_eq!(r.value(&v).expect("v").value(), None, "the restored timestamp still counts");
}

#[test]
fn read_only_access_to_restored_ttl_state_refreshes_and_is_kept() {
    let clock = ManualClock::new(0);
    let map =
        MapStateDescriptor::<u32, u32>::new("m").with_ttl(ttl(100).with_update_type(TtlUpdateType::OnReadAndWrite));
    let mut b = backend(&clock);
    set(&mut b, 1);
    b.map(&map).expect("m").put(1, 10);
    let snapshot = b.snapshot().expect("snapshot");

    let mut r = backend(&clock);
    r.restore(&[snapshot]).expect("restore");
    set(&mut r, 1);
    clock.advance(Duration::from_millis(90));
    assert_eq!(r.map_get(&map, &1).expect("read"), Some(10), "decoded from the restored bytes");
    clock.advance(Duration::from_millis(90));
    // The refresh by the read-only access is in the next snapshot.
    let again = r.snapshot().expect("snapshot");
    assert_eq!(again.entry_count(), 1);
    let mut s = backend(&clock);
    s.restore(&[again]).expect("restore");
    set(&mut s, 1);
    assert_eq!(s.map(&map).expect("m").get(&1), Some(&10));
}
