//! Restore equivalence of keyed state across rescaling: state written at parallelism `p`,
//! snapshotted to bytes and restored at parallelism `q` holds exactly the same key → state
//! content overall, each key in the subtask that owns its key group.

use proptest::prelude::*;
use std::collections::BTreeMap;
use std::time::Instant;
use weir_core::KeyGroupRange;
use weir_core::key_group::{assign_key_group, subtask_for_key_group};
use weir_state::{
    KeyedStateBackend, KeyedStateSnapshot, ListStateDescriptor, MapStateDescriptor, ValueStateDescriptor,
};

/// One key's state in the three kinds.
#[derive(Debug, Clone)]
struct KeyState {
    value: Option<u64>,
    list: Vec<u8>,
    map: BTreeMap<u8, String>,
}

fn key_state() -> impl Strategy<Value = KeyState> {
    (
        proptest::option::of(any::<u64>()),
        proptest::collection::vec(any::<u8>(), 0..4),
        proptest::collection::btree_map(any::<u8>(), "[a-z]{0,3}", 0..3),
    )
        .prop_map(|(value, list, map)| KeyState { value, list, map })
}

fn descriptors() -> (ValueStateDescriptor<u64>, ListStateDescriptor<u8>, MapStateDescriptor<u8, String>) {
    (ValueStateDescriptor::new("value"), ListStateDescriptor::new("list"), MapStateDescriptor::new("map"))
}

/// The backends of all subtasks at `parallelism`, holding `state`.
fn write(state: &BTreeMap<u64, KeyState>, max: usize, parallelism: usize) -> Vec<KeyedStateBackend<u64>> {
    let (value, list, map) = descriptors();
    let mut backends: Vec<_> =
        (0..parallelism).map(|i| KeyedStateBackend::new(KeyGroupRange::for_subtask(max, parallelism, i))).collect();
    for (key, s) in state {
        let group = assign_key_group(key, max).expect("hash");
        let b = &mut backends[subtask_for_key_group(group, max, parallelism)];
        b.set_current_key(*key, group).expect("owner");
        if let Some(v) = s.value {
            b.value(&value).expect("value").update(v);
        }
        b.list(&list).expect("list").update(s.list.clone());
        let mut m = b.map(&map).expect("map");
        for (k, v) in &s.map {
            m.put(*k, v.clone());
        }
    }
    backends
}

fn expected_entries(state: &BTreeMap<u64, KeyState>) -> usize {
    state.values().map(|s| s.value.is_some() as usize + !s.list.is_empty() as usize + !s.map.is_empty() as usize).sum()
}

/// Snapshots every backend through bytes.
fn snapshot_all(backends: &mut [KeyedStateBackend<u64>]) -> Vec<KeyedStateSnapshot> {
    backends
        .iter_mut()
        .map(|b| KeyedStateSnapshot::from_bytes(&b.snapshot().expect("snapshot").to_bytes()).expect("bytes"))
        .collect()
}

fn restore_all(snapshots: &[KeyedStateSnapshot], max: usize, parallelism: usize) -> Vec<KeyedStateBackend<u64>> {
    (0..parallelism)
        .map(|i| {
            let mut b = KeyedStateBackend::new(KeyGroupRange::for_subtask(max, parallelism, i));
            b.restore(snapshots).expect("restore");
            b
        })
        .collect()
}

/// Checks every key's state in the subtask owning its key group, and that nothing else is there.
fn check(
    backends: &mut [KeyedStateBackend<u64>],
    state: &BTreeMap<u64, KeyState>,
    max: usize,
) -> Result<(), TestCaseError> {
    let (value, list, map) = descriptors();
    let parallelism = backends.len();
    let hinted: usize = backends.iter().map(KeyedStateBackend::snapshot_size_hint).sum();
    prop_assert_eq!(hinted, expected_entries(state), "restored entries before any access");
    for (key, s) in state {
        let group = assign_key_group(key, max).expect("hash");
        let owner = subtask_for_key_group(group, max, parallelism);
        prop_assert!(backends[owner].key_group_range().contains(group));
        let b = &mut backends[owner];
        b.set_current_key(*key, group).expect("owner");
        if let Some((k, v)) = s.map.iter().next() {
            prop_assert_eq!(b.map_get(&map, k).expect("map_get"), Some(v.clone()), "read-only path, key {}", key);
        }
        prop_assert_eq!(b.value(&value).expect("value").value(), s.value, "value of key {}", key);
        prop_assert_eq!(b.list(&list).expect("list").get().to_vec(), s.list.clone(), "list of key {}", key);
        let m = b.map(&map).expect("map");
        let got: BTreeMap<u8, String> = m.iter().map(|(k, v)| (*k, v.clone())).collect();
        prop_assert_eq!(&got, &s.map, "map of key {}", key);
    }
    // Every state is registered now: the entries are exactly those checked above.
    let total: usize = backends.iter().map(KeyedStateBackend::entry_count).sum();
    prop_assert_eq!(total, expected_entries(state));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn rescaling_keeps_every_key_and_nothing_else(
        state in proptest::collection::btree_map(any::<u64>(), key_state(), 0..60),
        max in 1usize..48,
        p_seed in any::<usize>(),
        q_seed in any::<usize>(),
        r_seed in any::<usize>(),
    ) {
        let (p, q, r) = (p_seed % max + 1, q_seed % max + 1, r_seed % max + 1);
        let snapshots = snapshot_all(&mut write(&state, max, p));
        let mut at_q = restore_all(&snapshots, max, q);
        check(&mut at_q, &state, max)?;
        // Once more, from backends that were restored (and partly decoded) themselves.
        let mut at_r = restore_all(&snapshot_all(&mut at_q), max, r);
        check(&mut at_r, &state, max)?;
    }

    #[test]
    fn untouched_restored_state_survives_a_second_rescale(
        state in proptest::collection::btree_map(any::<u64>(), key_state(), 0..40),
        max in 1usize..32,
        p_seed in any::<usize>(),
        q_seed in any::<usize>(),
        r_seed in any::<usize>(),
    ) {
        let (p, q, r) = (p_seed % max + 1, q_seed % max + 1, r_seed % max + 1);
        let mut at_q = restore_all(&snapshot_all(&mut write(&state, max, p)), max, q);
        // Nothing was accessed at q: its snapshots carry the restored bytes along.
        let mut at_r = restore_all(&snapshot_all(&mut at_q), max, r);
        check(&mut at_r, &state, max)?;
    }
}

/// Not a benchmark (a debug build, sized small): prints how long the synchronous snapshot of
/// value-state keys takes, so a regression is visible in test output. Timing goes to weir-bench.
#[test]
fn snapshot_time_of_value_state_is_printed() {
    const KEYS: u64 = 50_000;
    let max = 128;
    let value = ValueStateDescriptor::<u64>::new("value");
    let mut b = KeyedStateBackend::new(KeyGroupRange::for_subtask(max, 1, 0));
    for key in 0..KEYS {
        b.set_current_key(key, assign_key_group(&key, max).expect("hash")).expect("owner");
        b.value(&value).expect("value").update(key);
    }
    let start = Instant::now();
    let snapshot = b.snapshot().expect("snapshot");
    let took = start.elapsed();
    let bytes = snapshot.to_bytes();
    println!("snapshot() of {KEYS} u64 -> u64 value-state keys (debug build): {took:?}, {} bytes framed", bytes.len());
    assert_eq!(snapshot.entry_count(), KEYS);
}
