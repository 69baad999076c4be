//! Timers stored in the `rocksdb` backend's database ([`StoredTimerQueue`]): a set ordered by
//! (time, key group, serialized key) against a model, through refills of the in-memory fronts
//! and reopenings; restored and rescaled with the state from incremental snapshots; read back
//! in firing order from full snapshots; and handed to memory where timers are kept there.

use proptest::prelude::*;
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use weir_core::KeyGroupRange;
use weir_core::key_group::assign_key_group;
use weir_core::snapshot::{RestoredFile, SnapshotFile, SnapshotFileScope, SnapshotFileWriter};
use weir_state::rocksdb::StoredTimerQueue;
use weir_state::{KeyedStateBackend, RocksDbOptions, TimerStore};

const QUEUE: &str = "event-time";

fn backend(dir: &Path, range: KeyGroupRange, timers: TimerStore) -> KeyedStateBackend<u64> {
    let options = RocksDbOptions::new(dir).with_memory(1 << 20).with_incremental(true).with_timers(timers);
    KeyedStateBackend::rocksdb(range, &options, "timers").expect("opens")
}

fn queue(b: &KeyedStateBackend<u64>, max_parallelism: usize) -> StoredTimerQueue<u64, u8> {
    b.timer_queue(QUEUE, max_parallelism).expect("opens").expect("timers are stored")
}

/// The model's order of a timer: the queue's firing order.
fn model_entry(time: i64, key: u64, namespace: u8, max_parallelism: usize) -> (i64, u32, Vec<u8>) {
    let group = assign_key_group(&key, max_parallelism).expect("hash").0;
    (time, group, postcard::to_stdvec(&(key, namespace)).expect("encodes"))
}

fn drain_all(q: &mut StoredTimerQueue<u64, u8>) -> Vec<(i64, u64, u8)> {
    std::iter::from_fn(|| q.pop_due(i64::MAX).expect("pops")).collect()
}

#[derive(Debug, Clone)]
enum Op {
    Register(i64, u64, u8),
    Delete(i64, u64, u8),
    Contains(i64, u64, u8),
    Pop(i64),
    Reopen,
}

fn op() -> impl Strategy<Value = Op> {
    let timer = (-3i64..40, 0u64..400, 0u8..2);
    prop_oneof![
        6 => timer.clone().prop_map(|(t, k, n)| Op::Register(t, k, n)),
        2 => timer.clone().prop_map(|(t, k, n)| Op::Delete(t, k, n)),
        1 => timer.prop_map(|(t, k, n)| Op::Contains(t, k, n)),
        2 => (-3i64..40).prop_map(Op::Pop),
        1 => Just(Op::Reopen),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    /// With one or two key groups, hundreds of timers share a group: fronts of 128 fill, spill
    /// and refill from the database.
    #[test]
    fn behaves_as_an_ordered_set(ops in prop::collection::vec(op(), 0..1500), max_parallelism in 1usize..3) {
        let dir = tempfile::tempdir().expect("tempdir");
        let b = backend(dir.path(), KeyGroupRange { start: 0, end: max_parallelism as u32 }, TimerStore::RocksDb);
        let mut q = queue(&b, max_parallelism);
        let mut model: BTreeSet<(i64, u32, Vec<u8>)> = BTreeSet::new();
        for op in ops {
            match op {
                Op::Register(t, k, n) => {
                    q.register(t, &k, &n).expect("registers");
                    model.insert(model_entry(t, k, n, max_parallelism));
                }
                Op::Delete(t, k, n) => {
                    q.delete(t, &k, &n).expect("deletes");
                    model.remove(&model_entry(t, k, n, max_parallelism));
                }
                Op::Contains(t, k, n) => {
                    let expected = model.contains(&model_entry(t, k, n, max_parallelism));
                    prop_assert_eq!(q.contains(t, &k, &n).expect("reads"), expected);
                }
                Op::Pop(limit) => {
                    let expected = model.first().filter(|(t, _, _)| *t <= limit).cloned();
                    let popped = q.pop_due(limit).expect("pops");
                    match expected {
                        Some(first) => {
                            model.remove(&first);
                            let (t, k, n) = popped.expect("a due timer");
                            prop_assert_eq!(model_entry(t, k, n, max_parallelism), first);
                        }
                        None => prop_assert!(popped.is_none()),
                    }
                }
                Op::Reopen => {
                    q.flush().expect("writes down");
                    drop(q);
                    q = queue(&b, max_parallelism);
                }
            }
            prop_assert_eq!(q.peek(), model.first().map(|(t, _, _)| *t));
        }
        let rest: Vec<_> = drain_all(&mut q).into_iter().map(|(t, k, n)| model_entry(t, k, n, max_parallelism)).collect();
        prop_assert_eq!(rest, model.into_iter().collect::<Vec<_>>());
    }
}

/// Copies snapshot files into a directory, as checkpoint storage would.
struct DirWriter<'a>(&'a Path);

impl SnapshotFileWriter for DirWriter<'_> {
    fn copy_in(&mut self, local: &Path, name: &str, scope: SnapshotFileScope) -> weir_core::Result<SnapshotFile> {
        static SNAPSHOTS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let unique = SNAPSHOTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = format!("{unique}-{name}");
        let size = std::fs::copy(local, self.0.join(&path)).expect("copy");
        let crc32c = crc32c::crc32c(&std::fs::read(self.0.join(&path)).expect("read"));
        Ok(SnapshotFile { path, scope, size, crc32c })
    }
}

const MAX: usize = 128;
const KEYS: u64 = 2_000;

/// Two timers per key, at times that interleave across keys.
fn timers_of(key: u64) -> [(i64, u64, u8); 2] {
    [((key % 97) as i64, key, 0), ((key % 13) as i64 - 5, key, 1)]
}

#[test]
fn incremental_snapshots_carry_timers_and_rescale_them() {
    let work = tempfile::tempdir().expect("tempdir");
    let storage = tempfile::tempdir().expect("tempdir");
    let mut snapshots = Vec::new();
    for i in 0..2 {
        let range = KeyGroupRange::for_subtask(MAX, 2, i);
        let mut b = backend(work.path(), range, TimerStore::RocksDb);
        let mut q = queue(&b, MAX);
        for key in (0..KEYS).filter(|k| range.contains(assign_key_group(k, MAX).expect("hash"))) {
            for (t, k, n) in timers_of(key) {
                q.register(t, &k, &n).expect("registers");
            }
        }
        q.flush().expect("writes down");
        let job = b.snapshot_job(1, false).expect("snapshot");
        assert!(job.stored_timers::<u64, u8>(QUEUE).expect("reads").is_empty(), "incremental: in the files");
        let (bytes, files) = job.run(Some(&mut DirWriter(storage.path()))).expect("upload");
        let files: Vec<_> = files
            .iter()
            .map(|f| RestoredFile { path: f.path.clone(), scope: f.scope, location: storage.path().join(&f.path) })
            .collect();
        snapshots.push((bytes, Arc::new(files)));
    }
    for parallelism in [2, 1, 3] {
        for i in 0..parallelism {
            let range = KeyGroupRange::for_subtask(MAX, parallelism, i);
            let mut b = backend(work.path(), range, TimerStore::RocksDb);
            let parts: Vec<_> = snapshots.iter().map(|(bytes, files)| (bytes.as_slice(), Arc::clone(files))).collect();
            b.restore_snapshots(&parts).expect("restore");
            let mut q = queue(&b, MAX);
            let restored: BTreeSet<_> = drain_all(&mut q).into_iter().collect();
            let expected: BTreeSet<_> = (0..KEYS)
                .filter(|k| range.contains(assign_key_group(k, MAX).expect("hash")))
                .flat_map(timers_of)
                .collect();
            assert_eq!(restored, expected, "parallelism {parallelism}, subtask {i}");
        }
    }
}

#[test]
fn full_snapshots_list_timers_in_firing_order_and_heap_timers_take_stored_ones() {
    let work = tempfile::tempdir().expect("tempdir");
    let all = KeyGroupRange { start: 0, end: MAX as u32 };
    let mut b = backend(work.path(), all, TimerStore::RocksDb);
    let mut q = queue(&b, MAX);
    for key in 0..KEYS {
        for (t, k, n) in timers_of(key) {
            q.register(t, &k, &n).expect("registers");
        }
    }
    q.delete(0, &0, &0).expect("deletes");
    q.flush().expect("writes down");
    let job = b.snapshot_job(1, true).expect("savepoint");
    let listed = job.stored_timers::<u64, u8>(QUEUE).expect("reads");
    let fired = drain_all(&mut q);
    assert_eq!(listed.len(), 2 * KEYS as usize - 1);
    assert_eq!(listed, fired, "a full snapshot lists the timers in the order the queue fires them");
    assert!(listed.windows(2).all(|w| w[0].0 <= w[1].0));
    drop(q);

    // A backend that keeps timers in memory gets the ones a restored database stored, once.
    let storage = tempfile::tempdir().expect("tempdir");
    let mut b = backend(work.path(), all, TimerStore::RocksDb);
    let mut q = queue(&b, MAX);
    q.register(5, &7, &1).expect("registers");
    q.register(-2, &8, &0).expect("registers");
    q.flush().expect("writes down");
    drop(q);
    let (bytes, files) =
        b.snapshot_job(2, false).expect("snapshot").run(Some(&mut DirWriter(storage.path()))).expect("upload");
    let files: Vec<_> = files
        .iter()
        .map(|f| RestoredFile { path: f.path.clone(), scope: f.scope, location: storage.path().join(&f.path) })
        .collect();
    let mut heap_timers = backend(work.path(), all, TimerStore::Heap);
    heap_timers.restore_snapshots(&[(bytes.as_slice(), Arc::new(files))]).expect("restore");
    assert!(heap_timers.timer_queue::<u8>(QUEUE, MAX).expect("opens").is_none(), "timers stay in memory");
    assert_eq!(heap_timers.take_stored_timers::<u8>(QUEUE, MAX).expect("takes"), [(-2, 8, 0), (5, 7, 1)]);
    assert!(heap_timers.take_stored_timers::<u8>(QUEUE, MAX).expect("takes").is_empty(), "taken out");
}
