//! Damaged snapshot bytes are errors, never panics: truncation and flipped bits are caught by
//! the frame's checksum, and damage behind a valid checksum (bytes rewritten with their crc
//! recomputed) by decoding, with the state named.

use weir_core::KeyGroupRange;
use weir_core::key_group::assign_key_group;
use weir_state::{
    KeyedStateBackend, KeyedStateSnapshot, ListStateDescriptor, MapStateDescriptor, OperatorStateBackend,
    OperatorStateSnapshot, StateError, ValueStateDescriptor,
};

const MAX: usize = 8;
const HEADER: usize = 14;

fn range() -> KeyGroupRange {
    KeyGroupRange { start: 0, end: MAX as u32 }
}

fn set(b: &mut KeyedStateBackend<String>, key: &str) {
    b.set_current_key(key.to_string(), assign_key_group(key, MAX).expect("hash")).expect("in range");
}

fn keyed_bytes() -> Vec<u8> {
    let mut b = KeyedStateBackend::new(range());
    for key in ["a", "b", "c"] {
        set(&mut b, key);
        b.value(&ValueStateDescriptor::<String>::new("names")).expect("v").update(key.repeat(3));
        b.list(&ListStateDescriptor::<u64>::new("seen")).expect("l").update(vec![1, 300, 70_000]);
        b.map(&MapStateDescriptor::<bool, i32>::new("flags")).expect("m").put(true, -1);
    }
    b.snapshot().expect("snapshot").to_bytes()
}

/// Restores and reads every state of every key; returns the first error.
fn read_all(snapshot: KeyedStateSnapshot) -> Result<(), StateError> {
    let mut b = KeyedStateBackend::new(range());
    b.restore(&[snapshot])?;
    for key in ["a", "b", "c"] {
        set(&mut b, key);
        b.value(&ValueStateDescriptor::<String>::new("names"))?.value();
        b.list(&ListStateDescriptor::<u64>::new("seen"))?.get();
        b.map_get(&MapStateDescriptor::<bool, i32>::new("flags"), &true)?;
    }
    Ok(())
}

fn recrc(bytes: &mut [u8]) {
    let crc = crc32c::crc32c(&bytes[HEADER..]);
    bytes[10..14].copy_from_slice(&crc.to_le_bytes());
}

#[test]
fn truncated_keyed_snapshots_are_errors() {
    let bytes = keyed_bytes();
    assert!(read_all(KeyedStateSnapshot::from_bytes(&bytes).expect("intact")).is_ok());
    for len in 0..bytes.len() {
        assert!(KeyedStateSnapshot::from_bytes(&bytes[..len]).is_err(), "truncated to {len}");
    }
}

#[test]
fn flipped_bits_are_caught_by_the_checksum() {
    let bytes = keyed_bytes();
    for i in 0..bytes.len() {
        for bit in [0x01u8, 0x80] {
            let mut damaged = bytes.clone();
            damaged[i] ^= bit;
            let err = KeyedStateSnapshot::from_bytes(&damaged).expect_err("damage must be detected");
            assert!(
                matches!(err, StateError::CorruptSnapshot { .. } | StateError::UnsupportedVersion { .. }),
                "byte {i}: {err}"
            );
        }
    }
}

#[test]
fn a_future_format_version_is_refused_by_name() {
    let mut bytes = keyed_bytes();
    bytes[8] = 2;
    let err = KeyedStateSnapshot::from_bytes(&bytes).expect_err("version 2");
    assert!(err.to_string().contains("version 2") && err.to_string().contains("version 1"), "{err}");
}

#[test]
fn damage_behind_a_valid_checksum_is_an_error_or_harmless_never_a_panic() {
    let bytes = keyed_bytes();
    let mut named = 0;
    for i in HEADER..bytes.len() {
        for value in [0x00u8, 0x7f, 0xff] {
            let mut damaged = bytes.clone();
            if damaged[i] == value {
                continue;
            }
            damaged[i] = value;
            recrc(&mut damaged);
            let Ok(snapshot) = KeyedStateSnapshot::from_bytes(&damaged) else { continue };
            if let Err(err) = read_all(snapshot) {
                let message = err.to_string();
                if message.contains("'names'") || message.contains("'seen'") || message.contains("'flags'") {
                    named += 1;
                }
            }
        }
    }
    assert!(named > 0, "some damage inside the entries is reported with the state's name");
}

#[test]
fn damaged_operator_snapshots_are_errors() {
    let mut b = OperatorStateBackend::new();
    b.list_state(&ListStateDescriptor::<String>::new("splits")).expect("list").update(vec!["a".into(), "bb".into()]);
    let bytes = b.snapshot().expect("snapshot").to_bytes();
    for len in 0..bytes.len() {
        assert!(OperatorStateSnapshot::from_bytes(&bytes[..len]).is_err(), "truncated to {len}");
    }
    for i in HEADER..bytes.len() {
        let mut damaged = bytes.clone();
        damaged[i] ^= 0xff;
        assert!(OperatorStateSnapshot::from_bytes(&damaged).is_err(), "flipped byte {i}");
        recrc(&mut damaged);
        if let Ok(snapshot) = OperatorStateSnapshot::from_bytes(&damaged) {
            let mut r = OperatorStateBackend::new();
            if r.restore(&[snapshot], 0, 1).is_ok() {
                let _ = r.list_state(&ListStateDescriptor::<String>::new("splits")).map(|l| l.get().len());
            }
        }
    }
}
