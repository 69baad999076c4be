//! Operator state across rescaling: split list state is redistributed without loss or
//! duplication and evenly, union list state reaches every new subtask whole, broadcast state is
//! the same everywhere.

use proptest::prelude::*;
use std::collections::BTreeMap;
use weir_state::{ListStateDescriptor, MapStateDescriptor, OperatorStateBackend, OperatorStateSnapshot};

fn split() -> ListStateDescriptor<u32> {
    ListStateDescriptor::new("split")
}
fn union() -> ListStateDescriptor<String> {
    ListStateDescriptor::new("union")
}
fn broadcast() -> MapStateDescriptor<u8, u64> {
    MapStateDescriptor::new("broadcast")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn rescaling_redistributes_operator_state(
        lists in proptest::collection::vec(proptest::collection::vec(any::<u32>(), 0..8), 1..6),
        unions in proptest::collection::vec("[a-z]{1,3}", 0..4),
        rules in proptest::collection::btree_map(any::<u8>(), any::<u64>(), 0..4),
        q in 1usize..8,
    ) {
        // Old subtask i holds lists[i] and one union element; every subtask the same rules.
        let snapshots: Vec<OperatorStateSnapshot> = lists
            .iter()
            .enumerate()
            .map(|(i, list)| {
                let mut b = OperatorStateBackend::new();
                b.list_state(&split()).expect("split").update(list.clone());
                let mut u = b.union_list_state(&union()).expect("union");
                if let Some(element) = unions.get(i) {
                    u.add(element.clone());
                }
                let mut bc = b.broadcast_state(&broadcast()).expect("broadcast");
                for (k, v) in &rules {
                    bc.put(*k, *v);
                }
                let bytes = b.snapshot().expect("snapshot").to_bytes();
                OperatorStateSnapshot::from_bytes(&bytes).expect("bytes")
            })
            .collect();
        let all_union: Vec<String> = unions.iter().take(lists.len()).cloned().collect();

        let mut dealt: Vec<u32> = Vec::new();
        let mut sizes = Vec::new();
        for subtask in 0..q {
            let mut b = OperatorStateBackend::new();
            b.restore(&snapshots, subtask, q).expect("restore");
            let share = b.list_state(&split()).expect("split").take();
            sizes.push(share.len());
            dealt.extend(share);
            prop_assert_eq!(b.union_list_state(&union()).expect("union").get().to_vec(), all_union.clone());
            let bc = b.broadcast_state(&broadcast()).expect("broadcast");
            let got: BTreeMap<u8, u64> = bc.iter().map(|(k, v)| (*k, *v)).collect();
            prop_assert_eq!(&got, &rules);
        }
        let mut expected: Vec<u32> = lists.concat();
        expected.sort_unstable();
        dealt.sort_unstable();
        prop_assert_eq!(dealt, expected, "no element lost or duplicated");
        let (min, max) = (sizes.iter().min().copied().unwrap_or(0), sizes.iter().max().copied().unwrap_or(0));
        prop_assert!(max - min <= 1, "shares differ by at most one element: {:?}", sizes);
    }
}

#[test]
fn a_subtask_outside_the_new_parallelism_is_an_error() {
    let mut b = OperatorStateBackend::new();
    let err = b.restore(&[], 3, 3).expect_err("subtask 3 of 3");
    assert!(err.to_string().contains("subtask 3"), "{err}");
}
