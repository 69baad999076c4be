use super::*;
use weir_core::key_group::assign_key_group;

fn backend() -> HeapKeyedStateBackend<String> {
    HeapKeyedStateBackend::new(KeyGroupRange { start: 0, end: 128 })
}

fn set(b: &mut HeapKeyedStateBackend<String>, key: &str) {
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
fn map_entries_can_be_read_without_registering() {
    let map = MapStateDescriptor::<String, u32>::new("map");
    let mut b = backend();
    set(&mut b, "k");
    assert_eq!(b.map_get(&map, &"x".to_string()).expect("read"), None, "never written");
    b.map(&map).expect("map").put("x".into(), 5);
    assert_eq!(b.map_get(&map, &"x".to_string()).expect("read"), Some(&5));
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
    let mut b: HeapKeyedStateBackend<String> = HeapKeyedStateBackend::new(KeyGroupRange { start: 10, end: 20 });
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
