//! A frozen snapshot is the state at the instant it was frozen: whatever the backend does
//! afterwards (writes, removals, list appends, a restore that replaces everything), encoding the
//! frozen state later gives the bytes a synchronous snapshot at that instant would have given.
//! Checked against a reference model (a `BTreeMap` per state) on random operation sequences.

use proptest::prelude::*;
use std::collections::BTreeMap;
use weir_core::KeyGroupRange;
use weir_core::key_group::assign_key_group;
use weir_state::{FrozenKeyedState, KeyedStateBackend, KeyedStateSnapshot, ListStateDescriptor, ValueStateDescriptor};

const MAX: usize = 16;

#[derive(Debug, Clone)]
enum Op {
    Set(u8, u32),
    Clear(u8),
    Append(u8, u8),
    /// Freeze now; encoded only at the end.
    Freeze,
    /// Restore the backend from the snapshot taken at the n-th freeze (mod their number).
    RestoreFrom(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0u8..24, any::<u32>()).prop_map(|(k, v)| Op::Set(k, v)),
        1 => (0u8..24).prop_map(Op::Clear),
        2 => (0u8..24, any::<u8>()).prop_map(|(k, v)| Op::Append(k, v)),
        1 => Just(Op::Freeze),
        1 => (0usize..8).prop_map(Op::RestoreFrom),
    ]
}

type Model = (BTreeMap<u8, u32>, BTreeMap<u8, Vec<u8>>);

fn scope(b: &mut KeyedStateBackend<u8>, key: u8) {
    let group = assign_key_group(&key, MAX).expect("a u8 serializes");
    b.set_current_key(key, group).expect("the backend owns every key group");
}

/// What `snapshot` holds, read back through a fresh backend.
fn contents(snapshot: &KeyedStateSnapshot) -> Model {
    let (value, list) = descriptors();
    let mut b = KeyedStateBackend::new(KeyGroupRange { start: 0, end: MAX as u32 });
    b.restore(std::slice::from_ref(snapshot)).expect("restore");
    let mut model = Model::default();
    for key in 0u8..24 {
        scope(&mut b, key);
        if let Some(v) = b.value(&value).expect("value").value() {
            model.0.insert(key, v);
        }
        let elements = b.list(&list).expect("list").get().to_vec();
        if !elements.is_empty() {
            model.1.insert(key, elements);
        }
    }
    model
}

fn descriptors() -> (ValueStateDescriptor<u32>, ListStateDescriptor<u8>) {
    (ValueStateDescriptor::new("value"), ListStateDescriptor::new("list"))
}

proptest! {
    #[test]
    fn a_frozen_snapshot_does_not_see_later_changes(ops in proptest::collection::vec(op(), 1..80)) {
        let (value, list) = descriptors();
        let mut b = KeyedStateBackend::<u8>::new(KeyGroupRange { start: 0, end: MAX as u32 });
        let mut model = Model::default();
        let mut frozen: Vec<(FrozenKeyedState, Model)> = Vec::new();
        for op in ops {
            match op {
                Op::Set(k, v) => {
                    scope(&mut b, k);
                    b.value(&value).expect("value").update(v);
                    model.0.insert(k, v);
                }
                Op::Clear(k) => {
                    scope(&mut b, k);
                    b.value(&value).expect("value").clear();
                    b.list(&list).expect("list").clear();
                    model.0.remove(&k);
                    model.1.remove(&k);
                }
                Op::Append(k, v) => {
                    scope(&mut b, k);
                    b.list(&list).expect("list").add(v);
                    model.1.entry(k).or_default().push(v);
                }
                Op::Freeze => frozen.push((b.freeze(), model.clone())),
                Op::RestoreFrom(n) if !frozen.is_empty() => {
                    let (state, expected) = &frozen[n % frozen.len()];
                    b.restore(&[state.encode().expect("encode")]).expect("restore");
                    model = expected.clone();
                }
                Op::RestoreFrom(_) => {}
            }
        }
        for (state, expected) in &frozen {
            prop_assert_eq!(&contents(&state.encode().expect("encode")), expected);
        }
        prop_assert_eq!(contents(&b.snapshot().expect("snapshot")), model);
    }
}
