use super::*;
use crate::descriptor::ValueStateDescriptor;
use weir_core::key_group::assign_key_group;

fn backend() -> KeyedStateBackend<String> {
    KeyedStateBackend::new(KeyGroupRange { start: 0, end: 128 })
}

fn set(b: &mut KeyedStateBackend<String>, key: &str) {
    let g = assign_key_group(key, 128).expect("hash");
    b.set_current_key(key.to_string(), g).expect("in range");
}

#[test]
fn value_state_is_scoped_to_the_current_key() {
    let count = ValueStateDescriptor::<u64>::new("count");
    let mut b = backend();
    set(&mut b, "a");
    b.value(&count).expect("value").update(1);
    set(&mut b, "b");
    assert_eq!(b.value(&count).expect("value").get(), None);
    b.value(&count).expect("value").update(7);
    set(&mut b, "a");
    assert_eq!(b.value(&count).expect("value").value(), Some(1));
    b.value(&count).expect("value").clear();
    assert_eq!(b.value(&count).expect("value").get(), None);
    assert_eq!(b.entry_count(), 1);
}

#[test]
fn peek_value_reads_any_key_without_scoping_to_it() {
    let count = ValueStateDescriptor::<u64>::new("count");
    let mut b = backend();
    let group = |key: &str| assign_key_group(key, 128).expect("hash");
    // Not registered yet: nothing to read, and nothing registered by reading.
    assert_eq!(b.peek_value(&count, &"a".to_string(), group("a")), None);
    set(&mut b, "a");
    b.value(&count).expect("value").update(1);
    set(&mut b, "b");
    assert_eq!(b.peek_value(&count, &"a".to_string(), group("a")), Some(&1));
    assert_eq!(b.peek_value(&count, &"c".to_string(), group("c")), None);
    assert_eq!(b.current_key(), Some(&"b".to_string()));
    // A key group outside the backend's range is nobody's here.
    let narrow = KeyedStateBackend::<String>::new(KeyGroupRange { start: 0, end: 0 });
    assert_eq!(narrow.peek_value(&count, &"a".to_string(), group("a")), None);
}

#[test]
fn a_value_can_be_changed_in_place() {
    let count = ValueStateDescriptor::<u64>::new("count");
    let mut b = backend();
    set(&mut b, "a");
    *b.value(&count).expect("value").get_or_insert_with(|| 10) += 1;
    *b.value(&count).expect("value").get_or_insert_with(|| 10) += 1;
    assert_eq!(b.value(&count).expect("value").value(), Some(12));
    if let Some(v) = b.value(&count).expect("value").get_mut() {
        *v = 0;
    }
    assert_eq!(b.value(&count).expect("value").value(), Some(0));
}

#[test]
fn list_and_map_state() {
    let list = ListStateDescriptor::<u32>::new("list");
    let map = MapStateDescriptor::<String, u32>::new("map");
    let mut b = backend();
    set(&mut b, "k");
    let mut l = b.list(&list).expect("list");
    l.add(1);
    l.add(2);
    assert_eq!(l.get(), &[1, 2]);
    assert_eq!(l.take(), vec![1, 2]);
    assert!(b.list(&list).expect("list").get().is_empty());

    let mut m = b.map(&map).expect("map");
    m.put("x".into(), 1);
    m.put("y".into(), 2);
    assert_eq!(m.len(), 2);
    assert_eq!(m.remove(&"x".to_string()), Some(1));
    assert_eq!(m.get(&"y".to_string()), Some(&2));
    assert!(!m.contains(&"x".to_string()));
}

#[test]
fn a_map_entry_can_be_changed_in_place() {
    let map = MapStateDescriptor::<u32, Vec<u32>>::new("map");
    let mut b = backend();
    set(&mut b, "k");
    let mut m = b.map(&map).expect("map");
    assert!(m.get_mut(&1).is_none());
    m.put(1, vec![1]);
    m.get_mut(&1).expect("entry").push(2);
    assert_eq!(m.get(&1), Some(&vec![1, 2]));
}

#[test]
fn map_entries_of_every_key_can_be_dropped_at_once() {
    let map = MapStateDescriptor::<u32, String>::new("map");
    let mut b = backend();
    for key in ["a", "b", "c"] {
        set(&mut b, key);
        let mut m = b.map(&map).expect("map");
        m.put(1, format!("{key}1"));
        m.put(2, format!("{key}2"));
    }
    set(&mut b, "c");
    b.map(&map).expect("map").remove(&2);
    let frozen = b.freeze();
    // Drops every entry under 1 (of all three keys) and so key c, left with nothing.
    assert_eq!(b.retain_map_entries(&map, |k| *k != 1).expect("retain"), 3);
    assert_eq!(b.entry_count(), 2, "keys a and b keep an entry each");
    set(&mut b, "a");
    assert_eq!(b.map(&map).expect("map").iter().collect::<Vec<_>>(), [(&2, &"a2".to_string())]);
    assert_eq!(b.retain_map_entries(&map, |_| true).expect("retain"), 0);
    // The snapshot frozen before still holds what was there then.
    assert_eq!(frozen.encode().expect("encode").entry_count(), 3);
}

#[test]
fn map_entries_can_be_read_without_registering() {
    let map = MapStateDescriptor::<String, u32>::new("map");
    let mut b = backend();
    set(&mut b, "k");
    assert_eq!(b.map_get(&map, &"x".to_string()).expect("read"), None, "never written");
    b.map(&map).expect("map").put("x".into(), 5);
    assert_eq!(b.map_get(&map, &"x".to_string()).expect("read"), Some(5));
    set(&mut b, "other");
    assert_eq!(b.map_get(&map, &"x".to_string()).expect("read"), None, "scoped to the key");
}

#[test]
fn one_name_cannot_be_two_kinds_or_types() {
    let mut b = backend();
    set(&mut b, "k");
    b.value(&ValueStateDescriptor::<u64>::new("s")).expect("value").update(1);
    let err = b.list(&ListStateDescriptor::<u64>::new("s")).err().expect("kind mismatch").to_string();
    assert!(err.contains("'s'") && err.contains("ValueState") && err.contains("ListState"), "{err}");
    let err = b.value(&ValueStateDescriptor::<String>::new("s")).err().expect("type mismatch").to_string();
    assert!(err.contains("u64") && err.contains("String"), "{err}");
}

#[test]
fn access_without_a_key_and_foreign_key_groups_are_errors() {
    let mut b: KeyedStateBackend<String> = KeyedStateBackend::new(KeyGroupRange { start: 10, end: 20 });
    assert!(matches!(b.value(&ValueStateDescriptor::<u8>::new("v")), Err(StateError::NoCurrentKey { .. })));
    let err = b.set_current_key("k".into(), KeyGroup(3)).expect_err("out of range");
    assert!(matches!(err, StateError::KeyGroupOutOfRange { .. }));
}

#[test]
fn a_cached_slot_from_another_backend_falls_back_to_the_name() {
    let a = ValueStateDescriptor::<u64>::new("a");
    let b_desc = ValueStateDescriptor::<u64>::new("b");
    let mut first = backend();
    set(&mut first, "k");
    first.value(&a).expect("a").update(1);
    first.value(&b_desc).expect("b").update(2); // b cached at slot 1
    let mut second = backend();
    set(&mut second, "k");
    second.value(&b_desc).expect("b").update(20); // slot 1 does not exist here: registered by name at 0
    second.value(&a).expect("a").update(10);
    assert_eq!(second.value(&b_desc).expect("b").value(), Some(20));
    assert_eq!(second.value(&a).expect("a").value(), Some(10));
}

#[test]
fn reducing_state_reduces_what_is_added() {
    let max = ReducingStateDescriptor::<u64>::new("max", |a, b| *a.max(b));
    let mut b = backend();
    set(&mut b, "k");
    assert_eq!(b.reducing(&max).expect("reducing").get(), None);
    for v in [3, 9, 4] {
        b.reducing(&max).expect("reducing").add(v);
    }
    assert_eq!(b.reducing(&max).expect("reducing").get(), Some(&9));
    b.reducing(&max).expect("reducing").clear();
    assert_eq!(b.reducing(&max).expect("reducing").get(), None);
}

struct Average;

impl weir_core::window::AggregateFunction<i64, (i64, u64), Option<f64>> for Average {
    fn create_accumulator(&self) -> (i64, u64) {
        (0, 0)
    }
    fn add(&self, acc: &mut (i64, u64), value: &i64) {
        acc.0 += value;
        acc.1 += 1;
    }
    fn merge(&self, acc: &mut (i64, u64), other: &(i64, u64)) {
        acc.0 += other.0;
        acc.1 += other.1;
    }
    fn get_result(&self, acc: &(i64, u64)) -> Option<f64> {
        (acc.1 > 0).then(|| acc.0 as f64 / acc.1 as f64)
    }
}

#[test]
fn aggregating_state_folds_into_an_accumulator() {
    let avg = AggregatingStateDescriptor::new("avg", Average);
    let mut b = backend();
    set(&mut b, "k");
    assert_eq!(b.aggregating(&avg).expect("agg").get(), None, "nothing added");
    b.aggregating(&avg).expect("agg").add(&2);
    b.aggregating(&avg).expect("agg").add(&4);
    assert_eq!(b.aggregating(&avg).expect("agg").get(), Some(Some(3.0)));
    set(&mut b, "other");
    assert_eq!(b.aggregating(&avg).expect("agg").get(), None);
}

#[test]
fn every_kind_survives_a_snapshot_and_restore() {
    let value = ValueStateDescriptor::<u64>::new("value");
    let list = ListStateDescriptor::<String>::new("list");
    let map = MapStateDescriptor::<u32, String>::new("map");
    let max = ReducingStateDescriptor::<u64>::new("max", |a, b| *a.max(b));
    let avg = AggregatingStateDescriptor::new("avg", Average);
    let mut b = backend();
    for key in ["a", "b", "c"] {
        set(&mut b, key);
        b.value(&value).expect("value").update(key.len() as u64);
        b.list(&list).expect("list").update(vec![key.to_string(), "x".into()]);
        b.map(&map).expect("map").put(1, key.to_uppercase());
        b.reducing(&max).expect("max").add(5);
        b.aggregating(&avg).expect("avg").add(&10);
    }
    let bytes = b.snapshot().expect("snapshot").to_bytes();
    let snapshot = KeyedStateSnapshot::from_bytes(&bytes).expect("from bytes");
    assert_eq!(snapshot.entry_count(), 15);

    let mut r = backend();
    r.restore(&[snapshot]).expect("restore");
    assert_eq!(r.snapshot_size_hint(), 15);
    set(&mut r, "b");
    assert_eq!(r.map_get(&map, &1).expect("read"), Some("B".to_string()), "read-only access sees restored state");
    assert_eq!(r.value(&value).expect("value").value(), Some(1));
    assert_eq!(r.list(&list).expect("list").get(), &["b".to_string(), "x".into()]);
    assert_eq!(r.map(&map).expect("map").get(&1), Some(&"B".to_string()));
    assert_eq!(r.reducing(&max).expect("max").get(), Some(&5));
    assert_eq!(r.aggregating(&avg).expect("avg").get(), Some(Some(10.0)));
    assert_eq!(r.entry_count(), 15);
}

#[test]
fn restored_state_not_accessed_stays_in_the_next_snapshot() {
    let value = ValueStateDescriptor::<u64>::new("value");
    let other = ValueStateDescriptor::<u64>::new("other");
    let mut b = backend();
    set(&mut b, "a");
    b.value(&value).expect("value").update(1);
    let first = b.snapshot().expect("snapshot");

    let mut r = backend();
    r.restore(std::slice::from_ref(&first)).expect("restore");
    set(&mut r, "a");
    r.value(&other).expect("other").update(2);
    let second = r.snapshot().expect("snapshot");
    assert_eq!(second.entry_count(), 2, "'value' was not touched and is still there");

    let mut again = backend();
    again.restore(&[second]).expect("restore");
    set(&mut again, "a");
    assert_eq!(again.value(&value).expect("value").value(), Some(1));
    assert_eq!(again.value(&other).expect("other").value(), Some(2));
}

#[test]
fn restoring_into_a_registered_state_decodes_at_once_and_replaces() {
    let value = ValueStateDescriptor::<u64>::new("value");
    let mut b = backend();
    set(&mut b, "a");
    b.value(&value).expect("value").update(1);
    let snapshot = b.snapshot().expect("snapshot");
    set(&mut b, "z");
    b.value(&value).expect("value").update(99);
    b.restore(&[snapshot]).expect("restore");
    assert_eq!(b.entry_count(), 1, "decoded into the registered table, 'z' replaced");
    set(&mut b, "a");
    assert_eq!(b.value(&value).expect("value").value(), Some(1));
}

#[test]
fn restored_entries_of_another_kind_type_or_ttl_are_errors_naming_the_state() {
    let mut b = backend();
    set(&mut b, "a");
    b.value(&ValueStateDescriptor::<String>::new("s")).expect("value").update("text".into());
    let snapshot = b.snapshot().expect("snapshot");

    let mut r = backend();
    r.restore(std::slice::from_ref(&snapshot)).expect("restore");
    set(&mut r, "a");
    let err = r.list(&ListStateDescriptor::<String>::new("s")).err().expect("kind").to_string();
    assert!(err.contains("'s'") && err.contains("ListState"), "{err}");
    let ttl = crate::ttl::StateTtlConfig::new(std::time::Duration::from_secs(1));
    let err = r.value(&ValueStateDescriptor::<String>::new("s").with_ttl(ttl)).err().expect("ttl").to_string();
    assert!(err.contains("'s'") && err.contains("TTL"), "{err}");
    // postcard is not self-describing: a type change is caught only when the bytes do not fit
    // (here the string's length prefix is read as a list length, then 't' is not a bool).
    let err = r.value(&ValueStateDescriptor::<Vec<bool>>::new("s")).err().expect("type");
    assert!(matches!(&err, StateError::Decode { state, .. } if state == "s"), "{err}");
    // The failed accesses did not lose the entries.
    assert_eq!(r.value(&ValueStateDescriptor::<String>::new("s")).expect("value").value(), Some("text".into()));
}

#[test]
fn a_key_group_in_two_snapshots_is_an_error() {
    let value = ValueStateDescriptor::<u64>::new("value");
    let mut b = backend();
    set(&mut b, "a");
    b.value(&value).expect("value").update(1);
    let snapshot = b.snapshot().expect("snapshot");
    let err = backend().restore(&[snapshot.clone(), snapshot]).expect_err("duplicate");
    assert!(matches!(err, StateError::DuplicateKeyGroup { .. }), "{err}");
}

/// The byte fields became byte strings (`crate::raw_bytes`) for speed: a snapshot's body is
/// still byte for byte what serde's `Vec<u8>` made of it, so snapshots written before read the
/// same. The mirror below is the layout as it was, with plain `Vec<u8>`.
#[test]
fn a_snapshot_body_is_the_same_bytes_as_with_plain_byte_vectors() {
    #[derive(serde::Serialize, serde::Deserialize)]
    struct OldSnapshot {
        range: KeyGroupRange,
        groups: Vec<OldGroup>,
    }
    #[derive(serde::Serialize, serde::Deserialize)]
    struct OldGroup {
        group: KeyGroup,
        states: Vec<OldEntries>,
    }
    #[derive(serde::Serialize, serde::Deserialize)]
    struct OldEntries {
        name: String,
        kind: StateKind,
        ttl: bool,
        entries: u64,
        bytes: Vec<u8>,
    }

    let count = ValueStateDescriptor::<u64>::new("count");
    let mut b = backend();
    for i in 0..2_000_u64 {
        set(&mut b, &format!("key-{i}"));
        b.value(&count).expect("value").update(i);
    }
    let snapshot = b.snapshot().expect("snapshot");
    let old = OldSnapshot {
        range: snapshot.range,
        groups: snapshot
            .groups
            .iter()
            .map(|g| OldGroup {
                group: g.group,
                states: g
                    .states
                    .iter()
                    .map(|s| OldEntries {
                        name: s.name.clone(),
                        kind: s.kind,
                        ttl: s.ttl,
                        entries: s.entries,
                        bytes: s.bytes.clone(),
                    })
                    .collect(),
            })
            .collect(),
    };
    let old_body = postcard::to_stdvec(&old).expect("serializes");
    assert_eq!(postcard::to_stdvec(&snapshot).expect("serializes"), old_body);
    let (read, rest): (KeyedStateSnapshot, _) = postcard::take_from_bytes(&old_body).expect("the old body reads");
    assert!(rest.is_empty());
    assert_eq!(read, snapshot);
}
