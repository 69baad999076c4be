use super::*;

fn list() -> ListStateDescriptor<u32> {
    ListStateDescriptor::new("offsets")
}

#[test]
fn states_survive_a_snapshot_at_the_same_parallelism() {
    let mut backend = OperatorStateBackend::new();
    backend.list_state(&list()).expect("list").update(vec![1, 2, 3]);
    backend.union_list_state(&ListStateDescriptor::<String>::new("union")).expect("union").add("u".into());
    backend.broadcast_state(&MapStateDescriptor::<String, u8>::new("rules")).expect("bcast").put("r".into(), 7);
    let bytes = backend.snapshot().expect("snapshot").to_bytes();

    let mut restored = OperatorStateBackend::new();
    restored.restore(&[OperatorStateSnapshot::from_bytes(&bytes).expect("bytes")], 0, 1).expect("restore");
    assert_eq!(restored.element_count(), 5);
    assert_eq!(restored.list_state(&list()).expect("list").get(), &[1, 2, 3]);
    assert_eq!(restored.union_list_state(&ListStateDescriptor::<String>::new("union")).expect("u").get(), &["u"]);
    let rules = MapStateDescriptor::<String, u8>::new("rules");
    assert_eq!(restored.broadcast_state(&rules).expect("bcast").get(&"r".into()), Some(&7));
}

#[test]
fn a_state_not_named_after_restore_is_kept() {
    let mut backend = OperatorStateBackend::new();
    backend.list_state(&list()).expect("list").update(vec![1, 2]);
    let snapshot = backend.snapshot().expect("snapshot");
    let mut restored = OperatorStateBackend::new();
    restored.restore(std::slice::from_ref(&snapshot), 0, 1).expect("restore");
    assert_eq!(restored.snapshot().expect("again"), snapshot);
}

#[test]
fn one_name_is_one_mode_and_type() {
    let mut backend = OperatorStateBackend::new();
    backend.list_state(&list()).expect("list").add(1);
    assert!(matches!(backend.union_list_state(&list()), Err(StateError::Mismatch { .. })));
    let err = backend.list_state(&ListStateDescriptor::<String>::new("offsets")).err().expect("type").to_string();
    assert!(err.contains("u32") && err.contains("String"), "{err}");
}

#[test]
fn restored_elements_of_another_type_are_an_error_naming_the_state() {
    let mut backend = OperatorStateBackend::new();
    backend.list_state(&ListStateDescriptor::<u64>::new("offsets")).expect("list").add(u64::MAX);
    let snapshot = backend.snapshot().expect("snapshot");
    let mut restored = OperatorStateBackend::new();
    restored.restore(&[snapshot], 0, 1).expect("restore");
    let err = restored.list_state(&ListStateDescriptor::<u8>::new("offsets")).err().expect("decode").to_string();
    assert!(err.contains("'offsets'"), "{err}");
}

#[test]
fn operator_state_has_no_ttl() {
    let mut backend = OperatorStateBackend::new();
    let with_ttl = list().with_ttl(crate::ttl::StateTtlConfig::new(std::time::Duration::from_secs(1)));
    assert!(matches!(backend.list_state(&with_ttl), Err(StateError::TtlOnOperatorState { .. })));
}

#[test]
fn in_place_restore_keeps_own_lists_and_unions_union_lists() {
    let union = ListStateDescriptor::<u32>::new("union");
    let snapshots: Vec<OperatorStateSnapshot> = (0..2u32)
        .map(|subtask| {
            let mut backend = OperatorStateBackend::new();
            backend.list_state(&list()).expect("list").update(vec![subtask * 10, subtask * 10 + 1]);
            backend.union_list_state(&union).expect("union").add(subtask);
            backend.snapshot().expect("snapshot")
        })
        .collect();
    let mut restored = OperatorStateBackend::new();
    restored.restore_in_place(Some(&snapshots[1]), &snapshots).expect("restore");
    assert_eq!(restored.list_state(&list()).expect("list").get(), &[10, 11]);
    assert_eq!(restored.union_list_state(&union).expect("union").get(), &[0, 1]);
}

#[test]
fn a_read_only_view_sees_the_broadcast_state() {
    let rules = MapStateDescriptor::<String, u8>::new("rules");
    let mut backend = OperatorStateBackend::new();
    assert!(backend.is_empty());
    backend.broadcast_state(&rules).expect("bcast").put("r".into(), 7);
    let view = backend.broadcast_state(&rules).expect("bcast").into_read_only();
    assert_eq!((view.get(&"r".into()), view.len(), view.contains(&"x".into())), (Some(&7), 1, false));
    assert!(!backend.is_empty());
}
