//! The contract of the keyed state API, run against both backends: `hashmap` and `rocksdb`.
//!
//! Every test takes a [`Backends`] maker and is instantiated once per backend by
//! `contract_suite!`. The `rocksdb` backend runs with a tiny memory bound, so its cache of the
//! keys in use is emptied and refilled many times during a test: whatever a test sees must not
//! depend on whether a key's state was in the cache or in RocksDB.
//!
//! Beyond the API: snapshots in the canonical format restore into either backend (switching
//! backends through a savepoint) and at another parallelism; incremental `rocksdb` snapshots
//! restore, also rescaled, and upload only new files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use weir_core::KeyGroupRange;
use weir_core::clock::Clock;
use weir_core::key_group::assign_key_group;
use weir_core::snapshot::{RestoredFile, SnapshotFile, SnapshotFileScope, SnapshotFileWriter};
use weir_state::{
    AggregatingStateDescriptor, KeyedStateBackend, ListStateDescriptor, MapStateDescriptor, ReducingStateDescriptor,
    RocksDbOptions, StateTtlConfig, ValueStateDescriptor,
};
use weir_testkit::{Average, ManualClock};

const MAX: usize = 128;

/// Makes backends of one kind for key-group ranges.
#[derive(Clone)]
struct Backends {
    rocksdb: Option<(Arc<tempfile::TempDir>, bool)>,
}

impl Backends {
    fn heap() -> Self {
        Backends { rocksdb: None }
    }

    fn rocksdb(incremental: bool) -> Self {
        Backends { rocksdb: Some((Arc::new(tempfile::tempdir().expect("tempdir")), incremental)) }
    }

    fn make(&self, range: KeyGroupRange) -> KeyedStateBackend<u64> {
        match &self.rocksdb {
            None => KeyedStateBackend::new(range),
            Some((dir, incremental)) => {
                // 1 MB: weir's cache holds its minimum of 1,024 keys.
                let options = RocksDbOptions::new(dir.path()).with_memory(1 << 20).with_incremental(*incremental);
                KeyedStateBackend::rocksdb(range, &options, "contract").expect("opens")
            }
        }
    }

    fn all(&self) -> KeyedStateBackend<u64> {
        self.make(KeyGroupRange { start: 0, end: MAX as u32 })
    }
}

fn set(b: &mut KeyedStateBackend<u64>, key: u64) {
    b.set_current_key(key, assign_key_group(&key, MAX).expect("hash")).expect("in range");
}

/// Enough keys to empty the `rocksdb` cache several times.
const KEYS: u64 = 5_000;

fn value_state_per_key(backends: Backends) {
    let count = ValueStateDescriptor::<u64>::new("count");
    let mut b = backends.all();
    for round in 0..3u64 {
        for key in 0..KEYS {
            set(&mut b, key);
            let mut state = b.value(&count).expect("value");
            assert_eq!(state.value(), if round == 0 { None } else { Some(key * 10 + round - 1) }, "key {key}");
            state.update(key * 10 + round);
        }
    }
    for key in (0..KEYS).step_by(2) {
        set(&mut b, key);
        b.value(&count).expect("value").clear();
    }
    for key in 0..KEYS {
        set(&mut b, key);
        let expected = (key % 2 == 1).then_some(key * 10 + 2);
        assert_eq!(b.value(&count).expect("value").value(), expected, "key {key}");
    }
    assert_eq!(b.entry_count(), (KEYS / 2) as usize);
}

fn in_place_changes_persist(backends: Backends) {
    let count = ValueStateDescriptor::<u64>::new("count");
    let mut b = backends.all();
    for _ in 0..3 {
        for key in 0..KEYS {
            set(&mut b, key);
            *b.value(&count).expect("value").get_or_insert_with(|| 100) += key;
        }
    }
    for key in 0..KEYS {
        set(&mut b, key);
        assert_eq!(b.value(&count).expect("value").value(), Some(100 + 3 * key));
    }
}

fn list_map_reducing_aggregating(backends: Backends) {
    let list = ListStateDescriptor::<u32>::new("list");
    let map = MapStateDescriptor::<u32, String>::new("map");
    let sum = ReducingStateDescriptor::<u64>::new("sum", |a, b| a + b);
    let avg = AggregatingStateDescriptor::<u64, (u64, u64), u64>::new("avg", Average);
    let mut b = backends.all();
    for key in 0..KEYS {
        set(&mut b, key);
        for i in 0..3 {
            b.list(&list).expect("list").add(key as u32 + i);
            b.map(&map).expect("map").put(i, format!("{key}/{i}"));
            b.reducing(&sum).expect("reducing").add(key + u64::from(i));
            b.aggregating(&avg).expect("aggregating").add(&(key + u64::from(i)));
        }
        b.map(&map).expect("map").remove(&1);
    }
    for key in (0..KEYS).rev() {
        set(&mut b, key);
        let k = key as u32;
        assert_eq!(b.list(&list).expect("list").get(), &[k, k + 1, k + 2]);
        let entries: BTreeMap<u32, String> = b.map(&map).expect("map").iter().map(|(k, v)| (*k, v.clone())).collect();
        assert_eq!(entries, BTreeMap::from([(0, format!("{key}/0")), (2, format!("{key}/2"))]));
        assert_eq!(b.map_get(&map, &2).expect("map_get"), Some(format!("{key}/2")));
        assert_eq!(b.reducing(&sum).expect("reducing").get().copied(), Some(3 * key + 3));
        assert_eq!(b.aggregating(&avg).expect("aggregating").get(), Some(key + 1));
    }
}

fn a_state_name_keeps_its_kind(backends: Backends) {
    let mut b = backends.all();
    set(&mut b, 1);
    b.value(&ValueStateDescriptor::<u64>::new("x")).expect("value").update(1);
    let error = b.list(&ListStateDescriptor::<u64>::new("x")).map(|_| ()).expect_err("mismatch").to_string();
    assert!(error.contains("'x'"), "{error}");
}

fn ttl_expires_values(backends: Backends) {
    let clock = ManualClock::new(1_000);
    let ttl = StateTtlConfig::new(Duration::from_millis(100));
    let value = ValueStateDescriptor::<u64>::new("ttl").with_ttl(ttl);
    let mut b = backends.all().with_clock(Arc::new(clock.clone()) as Arc<dyn Clock>);
    for key in 0..KEYS {
        set(&mut b, key);
        b.value(&value).expect("value").update(key);
    }
    clock.advance(Duration::from_millis(50));
    for key in (0..KEYS).step_by(2) {
        set(&mut b, key);
        b.value(&value).expect("value").update(key + 1);
    }
    clock.advance(Duration::from_millis(60));
    for key in 0..KEYS {
        set(&mut b, key);
        let expected = (key % 2 == 0).then_some(key + 1);
        assert_eq!(b.value(&value).expect("value").value(), expected, "key {key}");
    }
}

/// Keys 0..n with their value, written into `b`.
fn fill(b: &mut KeyedStateBackend<u64>, n: u64) {
    let value = ValueStateDescriptor::<u64>::new("value");
    let list = ListStateDescriptor::<u64>::new("list");
    for key in 0..n {
        if !b.key_group_range().contains(assign_key_group(&key, MAX).expect("hash")) {
            continue;
        }
        set(b, key);
        b.value(&value).expect("value").update(key * 3);
        b.list(&list).expect("list").add(key);
    }
}

/// Checks that `b` holds exactly the keys of 0..n in its range, as `fill` wrote them.
fn check(b: &mut KeyedStateBackend<u64>, n: u64) {
    let value = ValueStateDescriptor::<u64>::new("value");
    let list = ListStateDescriptor::<u64>::new("list");
    let mut owned = 0;
    for key in 0..n + 100 {
        if !b.key_group_range().contains(assign_key_group(&key, MAX).expect("hash")) {
            continue;
        }
        set(b, key);
        let expected = (key < n).then_some(key * 3);
        assert_eq!(b.value(&value).expect("value").value(), expected, "key {key}");
        let expected_list: Vec<u64> = if key < n { vec![key] } else { vec![] };
        assert_eq!(b.list(&list).expect("list").get(), expected_list.as_slice(), "key {key}");
        owned += usize::from(key < n);
    }
    assert_eq!(b.entry_count(), 2 * owned);
}

fn canonical_snapshots_restore_rescaled(backends: Backends, into: Backends) {
    let old: Vec<_> = (0..2)
        .map(|i| {
            let mut b = backends.make(KeyGroupRange::for_subtask(MAX, 2, i));
            fill(&mut b, KEYS);
            b.snapshot().expect("snapshot")
        })
        .collect();
    for parallelism in [1, 3] {
        for i in 0..parallelism {
            let mut b = into.make(KeyGroupRange::for_subtask(MAX, parallelism, i));
            b.restore(&old).expect("restore");
            check(&mut b, KEYS);
        }
    }
}

/// Checkpoint storage in a directory, as the snapshot thread provides it: files copied in
/// under `exclusive/` or `shared/`.
struct DirWriter {
    dir: PathBuf,
    copied: Vec<(String, u64)>,
    exclusive: Option<usize>,
}

impl SnapshotFileWriter for DirWriter {
    fn copy_in(&mut self, local: &Path, name: &str, scope: SnapshotFileScope) -> weir_core::Result<SnapshotFile> {
        // Exclusive files are per snapshot (as the snapshot thread puts them under the operator
        // instance's own file name); a process-wide counter keeps snapshots apart.
        static SNAPSHOTS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let sub = match scope {
            SnapshotFileScope::Exclusive => {
                if self.exclusive.is_none() {
                    self.exclusive = Some(SNAPSHOTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
                }
                format!("exclusive-{}", self.exclusive.unwrap_or_default())
            }
            SnapshotFileScope::Shared => "shared".into(),
        };
        let target = self.dir.join(sub).join(name);
        std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
        let size = std::fs::copy(local, &target).expect("copy");
        let crc = crc32c::crc32c(&std::fs::read(&target).expect("read"));
        self.copied.push((name.to_string(), size));
        let path = target.strip_prefix(&self.dir).expect("inside").to_string_lossy().into_owned();
        Ok(SnapshotFile { path, scope, size, crc32c: crc })
    }
}

/// Runs an incremental snapshot of `b` as checkpoint `id` into `dir`; returns the bytes, the
/// restorable files and the bytes uploaded.
fn incremental(b: &mut KeyedStateBackend<u64>, id: u64, dir: &Path) -> (Vec<u8>, Arc<Vec<RestoredFile>>, u64) {
    let job = b.snapshot_job(id, false).expect("snapshot");
    assert!(job.has_files(), "an incremental rocksdb backend uploads files");
    let mut writer = DirWriter { dir: dir.to_path_buf(), copied: Vec::new(), exclusive: None };
    let (bytes, files) = job.run(Some(&mut writer)).expect("upload");
    let uploaded = writer.copied.iter().map(|(_, size)| size).sum();
    let restored = files
        .iter()
        .map(|f| RestoredFile { path: f.path.clone(), scope: f.scope, location: dir.join(&f.path) })
        .collect();
    (bytes, Arc::new(restored), uploaded)
}

fn incremental_snapshots_restore_rescaled(backends: Backends) {
    let storage = tempfile::tempdir().expect("tempdir");
    let mut snapshots = Vec::new();
    for i in 0..2 {
        let mut b = backends.make(KeyGroupRange::for_subtask(MAX, 2, i));
        fill(&mut b, KEYS);
        snapshots.push(incremental(&mut b, 1, storage.path()));
    }
    for parallelism in [2, 1, 3] {
        for i in 0..parallelism {
            let mut b = backends.make(KeyGroupRange::for_subtask(MAX, parallelism, i));
            let parts: Vec<_> =
                snapshots.iter().map(|(bytes, files, _)| (bytes.as_slice(), Arc::clone(files))).collect();
            b.restore_snapshots(&parts).expect("restore");
            check(&mut b, KEYS);
        }
    }
    // The heap backend cannot read them, and says what to do.
    let mut heap = KeyedStateBackend::<u64>::new(KeyGroupRange { start: 0, end: MAX as u32 });
    let parts: Vec<_> = snapshots.iter().map(|(bytes, files, _)| (bytes.as_slice(), Arc::clone(files))).collect();
    let error = heap.restore_snapshots(&parts).expect_err("refused").to_string();
    assert!(error.contains("state.backend.type: rocksdb") && error.contains("savepoint"), "{error}");
}

fn second_checkpoint_uploads_only_new_files(backends: Backends) {
    let storage = tempfile::tempdir().expect("tempdir");
    let value = ValueStateDescriptor::<u64>::new("value");
    let mut b = backends.all();
    for key in 0..50_000u64 {
        set(&mut b, key);
        b.value(&value).expect("value").update(key);
    }
    let (_, _, first) = incremental(&mut b, 1, storage.path());
    b.notify_checkpoint_complete(1);
    for key in (0..50_000u64).step_by(100) {
        set(&mut b, key);
        b.value(&value).expect("value").update(key + 1);
    }
    let (bytes, files, second) = incremental(&mut b, 2, storage.path());
    println!("incremental checkpoints: first uploaded {first} bytes, second (1% changed) {second} bytes");
    assert!(second * 5 < first, "the second upload ({second} bytes) is not a small part of the first ({first} bytes)");
    let mut restored = backends.all();
    restored.restore_snapshots(&[(bytes.as_slice(), files)]).expect("restore");
    for key in 0..50_000u64 {
        set(&mut restored, key);
        let expected = if key % 100 == 0 { key + 1 } else { key };
        assert_eq!(restored.value(&value).expect("value").value(), Some(expected));
    }
}

fn working_directory_is_removed(backends: Backends) {
    let Some((dir, _)) = &backends.rocksdb else { return };
    let mut b = backends.all();
    fill(&mut b, 100);
    assert!(std::fs::read_dir(dir.path()).expect("list").count() > 0);
    drop(b);
    assert_eq!(std::fs::read_dir(dir.path()).expect("list").count(), 0, "the working directory is left behind");
}

macro_rules! contract_suite {
    ($module:ident, $backends:expr) => {
        mod $module {
            use super::*;

            #[test]
            fn value_state_is_per_key() {
                value_state_per_key($backends);
            }

            #[test]
            fn in_place_changes_are_kept() {
                in_place_changes_persist($backends);
            }

            #[test]
            fn every_kind_of_state_works() {
                list_map_reducing_aggregating($backends);
            }

            #[test]
            fn a_name_keeps_its_kind() {
                a_state_name_keeps_its_kind($backends);
            }

            #[test]
            fn ttl_hides_expired_values() {
                ttl_expires_values($backends);
            }

            #[test]
            fn canonical_snapshots_restore_into_the_hashmap_backend_at_any_parallelism() {
                canonical_snapshots_restore_rescaled($backends, Backends::heap());
            }

            #[test]
            fn canonical_snapshots_restore_into_the_rocksdb_backend_at_any_parallelism() {
                canonical_snapshots_restore_rescaled($backends, Backends::rocksdb(false));
            }

            #[test]
            fn the_working_directory_goes_with_the_backend() {
                working_directory_is_removed($backends);
            }
        }
    };
}

contract_suite!(hashmap, Backends::heap());
contract_suite!(rocksdb_full, Backends::rocksdb(false));
contract_suite!(rocksdb_incremental, Backends::rocksdb(true));

#[test]
fn incremental_rocksdb_snapshots_restore_at_any_parallelism() {
    incremental_snapshots_restore_rescaled(Backends::rocksdb(true));
}

#[test]
fn an_incremental_checkpoint_uploads_only_what_changed() {
    second_checkpoint_uploads_only_new_files(Backends::rocksdb(true));
}
